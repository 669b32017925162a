"""The static site: page models, URL allocation, rendering, fingerprints and atomic publishing.

Kept empty of imports. The search sidecar never imports this package: URL rules and the wording of
facts that both show live in `gallery_builder.core`.
"""
