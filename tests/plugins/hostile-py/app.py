"""The hostile Python fixture's entry point (tests only)."""

from waymark_sdk.export import export

from hostile_py import HostilePy

Policy = export(HostilePy)
