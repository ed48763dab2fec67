import module java.base;

/** One response. writeTo is the only place that frames a response on the wire. */
record Response(int status, Map<String, String> headers, byte[] body) {
    static Response html(int status, String html) {
        return new Response(status, Map.of("Content-Type", "text/html; charset=utf-8"),
                html.getBytes(StandardCharsets.UTF_8));
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
        return new Response(status, more, body);
    }

    /**
     * Status line, header lines, empty line, body: each line ends with CRLF. HEAD gets no body. The request is
     * null when it could not be read; keepAlive says whether the connection stays open for another request.
     */
    void writeTo(OutputStream out, Request request, boolean keepAlive, String serverName) throws IOException {
        var head = new StringBuilder("HTTP/1.1 " + status + " " + Http.reason(status) + "\r\n");
        head.append("Date: ").append(Http.HTTP_DATE.format(Instant.now())).append("\r\n");
        head.append("Server: ").append(serverName).append("\r\n");
        headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        head.append("Content-Length: ").append(body.length).append("\r\n");
        head.append("Connection: ").append(keepAlive ? "keep-alive" : "close").append("\r\n\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (!Http.isHead(request)) out.write(body);
        out.flush();
    }
}
