"""The dashboard's pages (server-rendered with Jinja2, htmx for the live parts)."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
