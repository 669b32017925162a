"""Indexing: the scan (skip rules, change detection), the pass runner, the named stages of one run
(scan -> passes -> analysis -> export -> publish) and the progress they report; remote-capable
passes may run on Dask workers while every save stays here (`cluster`, `remote_runner`).
"""
