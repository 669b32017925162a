"""gallery_builder: a self-hosted photo library for a home NAS (indexer, analysis, exporter, static
site builder and the `gallery` command). DESIGN.md section 2 maps its packages."""
