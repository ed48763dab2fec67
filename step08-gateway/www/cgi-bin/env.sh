#!/bin/sh
# A CGI script in sh, like Apache's old test-cgi: it shows what the server handed it.
# Its environment (the meta-variables) and its stdin (the request body) are the whole interface.
escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'; }  # the request's text goes into HTML

printf 'Content-Type: text/html; charset=utf-8\n\n'
printf '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>CGI environment</title></head><body>\n'
printf '<h1>Environment</h1>\n<pre>\n'
env | sort | escape
printf '</pre>\n<h1>Standard input</h1>\n<pre>\n'
cat | escape  # reads to the end: the server closes our stdin after CONTENT_LENGTH bytes
printf '</pre>\n</body></html>\n'
