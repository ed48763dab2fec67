#!/bin/sh
# A redirect: no page, only a Status and a Location. The server turns them into "HTTP/1.1 302 Found".
printf 'Status: 302 Found\nLocation: /\n\n'
