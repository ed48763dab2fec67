#!/bin/sh
# Broken on purpose: it prints a page but forgets the header block, so the server answers 502 Bad Gateway.
# The fix is one line before the page: printf 'Content-Type: text/html\n\n'
echo 'broken.sh: I forgot my header block' >&2
echo '<h1>Hello</h1>'
