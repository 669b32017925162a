"""The static site: page models, URL allocation, rendering, fingerprints and atomic publishing.

Kept empty of imports: the search sidecar imports `gallery_builder.site.urls` (stdlib only).
"""
