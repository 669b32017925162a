"""Watch mode: file-system events, debounced and settled, drive the same stages as `gallery index`
(scan -> passes -> analysis -> export -> publish); watch adds chunking and scheduling.
"""
