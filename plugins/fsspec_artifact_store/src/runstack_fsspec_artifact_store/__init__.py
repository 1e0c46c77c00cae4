"""runstack's object-store artifact store flavors: `s3`, `azure` and `gcs`, through fsspec."""

from __future__ import annotations

__version__ = "0.1.0"
