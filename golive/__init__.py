"""golive runs software go-lives from the runbooks teams already write.

This module stays import-light on purpose: ``golive --help`` must start fast, so
heavy libraries (pydantic, markdown-it, SQLAlchemy, aiohttp) are imported inside
the commands and modules that use them.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
