#!/usr/bin/env python3
# The seeds' cgi-bin/post.py in today's Python: the cgi module it used was removed in Python 3.13,
# so the form is parsed with urllib.parse, and the name is escaped before it goes into HTML.
import html
import os
import sys
from urllib.parse import parse_qs

length = int(os.environ.get("CONTENT_LENGTH") or 0)
body = sys.stdin.buffer.read(length).decode("utf-8", "replace")  # exactly CONTENT_LENGTH bytes
form = parse_qs(body if os.environ.get("REQUEST_METHOD") == "POST" else os.environ.get("QUERY_STRING", ""))
firstname = form.get("firstname", ["stranger"])[0]

sys.stdout.buffer.write(("Content-Type: text/html; charset=utf-8\n\n"
                         "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Hello</title></head>\n"
                         f"<body><h1>Hello, {html.escape(firstname)}!</h1>\n"
                         "<p>This page was printed by <code>cgi-bin/post.py</code>.</p>\n</body></html>\n").encode("utf-8"))
