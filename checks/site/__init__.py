"""The static training site (`asyncguard training build`)."""

from asyncguard.checks.site.builder import SiteError, build_site

__all__ = ["SiteError", "build_site"]
