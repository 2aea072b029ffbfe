"""The component's entry point: what `waymark plugin build` hands to componentize-py."""

from waymark_sdk.export import export

from stoke_on_trent import StokeOnTrent

Policy = export(StokeOnTrent)
