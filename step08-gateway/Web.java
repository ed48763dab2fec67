import module java.base;

/**
 * What the apps share: status lines, pages, forms and escaping, a small framework of their own (Werkzeug is
 * this for WSGI apps). The server has its own in Http.java; neither side is compiled with the other's, so a few
 * of these (escapeHtml, encodePath, percentDecode, the reason phrases) are written on both sides.
 */
final class Web {
    static final List<Map.Entry<String, String>> PLAIN =
            List.of(Map.entry("Content-Type", "text/plain; charset=utf-8"));
    static final List<Map.Entry<String, String>> HTML =
            List.of(Map.entry("Content-Type", "text/html; charset=utf-8"));

    /** One name=value pair of a form, decoded. A form may repeat a name, so a form is a list of these. */
    record Field(String name, String value) {}

    static final int MAX_FIELDS = 100;  // a form of 1 MiB of "a&" would be 524,288 fields: 413
    static final int MAX_SHOWN = 200;   // characters of a value a page echoes: 1 MiB in, not 12 MB out

    private Web() {}  // a namespace: nothing to instantiate

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** PATH_INFO, where "" (a request for the app's prefix itself, "/todo") counts as the app's "/". */
    static String path(Map<String, Object> environ) {
        var path = (String) environ.get("PATH_INFO");
        return path.isEmpty() ? "/" : path;
    }

    static Iterable<byte[]> page(App.StartResponse startResponse, String html) {
        startResponse.start("200 OK", HTML);
        return List.of(utf8(html));
    }

    /** Post/Redirect/Get: after a change, the browser is sent to a page that it may reload. */
    static Iterable<byte[]> seeOther(App.StartResponse startResponse, String location) {
        startResponse.start("303 See Other", List.of(Map.entry("Location", encodePath(location))));
        return List.of();
    }

    /** A field of the form in the request body, read from gateway.input; "" if missing. */
    static String formField(Map<String, Object> environ, String name) throws IOException, ErrorPage {
        var body = ((InputStream) environ.get("gateway.input")).readAllBytes();
        return parseForm(new String(body, StandardCharsets.ISO_8859_1)).stream()  // a char a byte: see percentDecode
                .filter(field -> field.name().equals(name)).map(Field::value).findFirst().orElse("");
    }

    /**
     * application/x-www-form-urlencoded: name=value pairs joined by &, + for a space, %XX for a byte of UTF-8.
     * The value starts after the first =; a name without = has an empty value. + becomes a space before the
     * escapes are decoded, so %2B stays a +.
     */
    /** What a page echoes of a name or value: at most MAX_SHOWN characters, so an answer stays small. */
    static String shown(String text) {
        if (text.length() <= MAX_SHOWN) return text;
        return text.substring(0, MAX_SHOWN) + "… (" + text.length() + " characters)";
    }

    static List<Field> parseForm(String form) throws ErrorPage {
        var fields = new ArrayList<Field>();
        for (var pair : form.split("&")) {
            if (pair.isEmpty()) continue;  // "a=1&&b=2", or a trailing &
            if (fields.size() == MAX_FIELDS)
                throw new ErrorPage(413, "The form has more than " + MAX_FIELDS + " fields.");
            int equals = pair.indexOf('=');
            var name = equals < 0 ? pair : pair.substring(0, equals);
            var value = equals < 0 ? "" : pair.substring(equals + 1);
            fields.add(new Field(percentDecode(name.replace('+', ' ')), percentDecode(value.replace('+', ' '))));
        }
        return fields;
    }

    /** %XX escapes to bytes, once, then the bytes as UTF-8. Each char of text below 256 is taken as one byte. */
    static String percentDecode(String text) throws ErrorPage {
        var bytes = new byte[text.length()];  // a byte a character at most: "%41" is three characters, one byte
        int length = 0;
        for (int i = 0; i < text.length(); i++) {
            int b = text.charAt(i);
            if (b == '%') {
                if (i + 2 >= text.length()
                        || !HexFormat.isHexDigit(text.charAt(i + 1)) || !HexFormat.isHexDigit(text.charAt(i + 2)))
                    throw new ErrorPage(400, "A % in the form is not followed by two hex digits.");
                b = HexFormat.fromHexDigits(text, i + 1, i + 3);
                i += 2;
            }
            bytes[length++] = (byte) b;
        }
        try {  // a decoder that reports bad UTF-8 rather than replacing it
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes, 0, length)).toString();
        } catch (CharacterCodingException e) {
            throw new ErrorPage(400, "The form is not valid UTF-8.");
        }
    }

    static String escapeHtml(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace("\"", "&quot;").replace("'", "&#39;");
    }

    /** Percent-encodes each UTF-8 byte of a path but unreserved characters and /: safe in an href and a Location. */
    static String encodePath(String path) {
        var out = new StringBuilder();
        for (byte b : path.getBytes(StandardCharsets.UTF_8)) {
            boolean unreserved =  // b < 0: not ASCII
                    b >= 0 && (Character.isLetterOrDigit(b) || "-._~/".indexOf(b) >= 0);
            out.append(unreserved ? String.valueOf((char) b) : "%%%02X".formatted(b & 0xff));
        }
        return out.toString();
    }

    /** The status as startResponse takes it, "404 Not Found": the code and its reason (a script may send any code). */
    static String status(int code) {
        return code + " " + switch (code) {
            case 200 -> "OK";
            case 204 -> "No Content";
            case 301 -> "Moved Permanently";
            case 302 -> "Found";
            case 303 -> "See Other";
            case 304 -> "Not Modified";
            case 400 -> "Bad Request";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 411 -> "Length Required";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 415 -> "Unsupported Media Type";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 502 -> "Bad Gateway";
            case 504 -> "Gateway Timeout";
            case 505 -> "HTTP Version Not Supported";
            default -> "Unknown";
        };
    }
}
