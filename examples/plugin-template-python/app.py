"""The component's entry point: `waymark plugin build` hands it to componentize-py."""

from waymark_sdk.export import export

from template_council import TemplateCouncil

Policy = export(TemplateCouncil)
