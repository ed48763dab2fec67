import module java.base;

/** One response. writeTo is the only place that frames a response on the wire. */
record Response(int status, String reasonPhrase, Map<String, String> headers, Body body) {
    Response(int status, Map<String, String> headers, Body body) {
        this(status, Http.reason(status), headers, body);  // a script may name its own reason phrase; we use our table
    }

    static Response html(int status, String html) {
        return new Response(status, Map.of("Content-Type", "text/html; charset=utf-8"),
                new Body.Bytes(html.getBytes(StandardCharsets.UTF_8)));
    }

    static Response error(int status, String message) {
        var title = status + " " + Http.reason(status);
        return html(status, """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>%s</title></head>
                <body><h1>%s</h1><p>%s</p></body></html>
                """.formatted(title, title, Http.escapeHtml(message)));
    }

    Response with(String name, String value) {
        var more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new Response(status, reasonPhrase, more, body);
    }

    /**
     * Status line, header lines, empty line, body: each line ends with CRLF. HEAD gets no body. The request is
     * null when it could not be read; keepAlive says whether the client may send another request on the
     * connection. A body of unknown length is chunked for HTTP/1.1; for HTTP/1.0, only closing can end it.
     * Returns whether the connection stays open.
     */
    boolean writeTo(OutputStream out, Request request, boolean keepAlive, String serverName) throws IOException {
        boolean bodyless = status == 204 || status == 304;  // an app may answer either; neither has a body
        boolean chunked = !bodyless && body.length() < 0 && request != null && request.version().equals("HTTP/1.1");
        keepAlive &= bodyless || body.length() >= 0 || chunked;
        var head = new StringBuilder("HTTP/1.1 " + status + " " + reasonPhrase + "\r\n");
        head.append("Date: ").append(Http.HTTP_DATE.format(Instant.now())).append("\r\n");
        head.append("Server: ").append(serverName).append("\r\n");
        headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        if (!bodyless && body.length() >= 0)  // nor a Content-Length: a 304's would describe the file (RFC 9110 §8.6)
            head.append("Content-Length: ").append(body.length()).append("\r\n");
        if (chunked) head.append("Transfer-Encoding: chunked\r\n");
        head.append("Connection: ").append(keepAlive ? "keep-alive" : "close").append("\r\n\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (Http.isHead(request) || bodyless) {
            // the head alone
        } else if (chunked) {
            var chunks = new Http.ChunkedOutput(out);
            body.writeTo(chunks);
            chunks.finish();
        } else {
            body.writeTo(out);
        }
        out.flush();
        return keepAlive;
    }
}
