// A CGI script in Java: the seeds' cgi-bin/post.py, doing what step 6's /greet did inside the server.
// The server runs it as `java post.java`, a new JVM for every request. The request arrives in environment
// variables and, for a POST, as CONTENT_LENGTH bytes on stdin. What it prints is the response:
// header fields, an empty line, the page.

record Field(String name, String value) {}

void main() throws IOException {
    var out = new PrintStream(System.out, false, StandardCharsets.UTF_8);  // the page says utf-8: so must its bytes
    var type = Objects.requireNonNullElse(System.getenv("CONTENT_TYPE"), "");  // what step 6's form refuses, so do we
    if ("POST".equals(System.getenv("REQUEST_METHOD"))
            && !type.matches("(?i)application/x-www-form-urlencoded[ \t]*(;.*)?")) {
        out.print("Status: 415 Unsupported Media Type\nContent-Type: text/plain; charset=utf-8\n\n"
                + "This form takes application/x-www-form-urlencoded only.\n");
        out.flush();
        return;
    }
    var form = "POST".equals(System.getenv("REQUEST_METHOD"))
            ? new String(System.in.readNBytes(contentLength()), StandardCharsets.ISO_8859_1)  // urlencoded is ASCII
            : Objects.requireNonNullElse(System.getenv("QUERY_STRING"), "");               // a GET: ?firstname=Ada
    List<Field> fields;
    try {
        fields = parseForm(form);
    } catch (IllegalArgumentException e) {  // URLDecoder refuses "%zz": the client's mistake, so a 400 of our own
        out.print("Status: 400 Bad Request\nContent-Type: text/plain; charset=utf-8\n\n"
                + "That is not a urlencoded form.\n");
        out.flush();
        return;
    }
    var name = fields.stream().filter(field -> field.name().equals("firstname"))
            .map(Field::value).findFirst().orElse("");
    var rows = new StringBuilder();
    for (var field : fields)
        rows.append("<tr><th>%s</th><td>%s</td></tr>\n"
                .formatted(escapeHtml(field.name()), escapeHtml(field.value())));
    out.print("Content-Type: text/html; charset=utf-8\n\n");  // a header field, and the empty line that ends them
    out.print("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Hello</title>
            <link rel="stylesheet" href="/style.css"></head>
            <body><h1>Hello, %s!</h1>
            <p>You sent these fields with %s, and <code>cgi-bin/post.java</code> read them:</p>
            <table>
            %s</table>
            <p><a href="/">Back to the form</a></p>
            </body></html>
            """.formatted(escapeHtml(name), escapeHtml(System.getenv("REQUEST_METHOD")), rows));
    out.flush();
}

/** The body's length as the server announced it: read exactly that much, never "until the end". */
int contentLength() {
    var length = System.getenv("CONTENT_LENGTH");
    return length == null || !length.matches("[0-9]{1,9}") ? 0 : Integer.parseInt(length);
}

/** application/x-www-form-urlencoded: name=value pairs joined by &, + for a space, %XX for a byte of UTF-8. */
List<Field> parseForm(String form) {
    var fields = new ArrayList<Field>();
    for (var pair : form.split("&")) {
        if (pair.isEmpty()) continue;
        int equals = pair.indexOf('=');
        var name = equals < 0 ? pair : pair.substring(0, equals);
        var value = equals < 0 ? "" : pair.substring(equals + 1);
        fields.add(new Field(URLDecoder.decode(name, StandardCharsets.UTF_8),
                URLDecoder.decode(value, StandardCharsets.UTF_8)));
    }
    return fields;
}

/** What a visitor typed goes into HTML escaped: else a <script> in the form runs in the reader's browser. */
String escapeHtml(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\"", "&quot;").replace("'", "&#39;");
}
