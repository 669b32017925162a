"""Decoding and reading media: content sniffing, EXIF/XMP/QuickTime metadata, RAW previews, video
posters, thumbnails, colours and perceptual hashes. Pure functions over files; no database here.
"""
