"""Neutral vocabulary every layer may speak: run records, media types and skip rules, thumbnail
layout, URL rules, colour names and how facts are worded. Stdlib only; imports nothing above config.
"""
