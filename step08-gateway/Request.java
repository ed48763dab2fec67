import module java.base;

/** The head of one request, as parsed. Header names are case-insensitive, so the map is too. */
record Request(String method, String target, String version, Map<String, List<String>> headers) {
    String header(String name) {
        var values = headers.get(name);
        return values == null ? null : values.getFirst();
    }
}
