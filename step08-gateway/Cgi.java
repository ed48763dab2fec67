import module java.base;

/**
 * CGI/1.1 (RFC 3875), now an app: environ, which the server wrote under CGI's names, becomes a program's
 * environment, gateway.input its standard input, and what it prints the status, headers and chunks. Only a
 * file in the root's cgi-bin folder ever runs.
 */
final class Cgi {
    static final String CGI_FOLDER = "cgi-bin";         // in the root: /cgi-bin/NAME runs NAME; nothing else ever runs
    static final String SCRIPT_ALLOW = "GET, HEAD, POST";
    static final int BUFFER_SIZE = 64 * 1024;           // what a script prints goes on a buffer at a time
    static final Duration CGI_TIMEOUT =                 // a script still running then is killed, with its children
            Duration.ofMillis(Long.getLong("workshop.cgiTimeoutMillis", 10_000));  // tests shorten it
    static final int MAX_CGI_HEAD = 64 * 1024;          // a script's header block: one printing headers forever: 502
    static final int MAX_LOG_LINE = 8 * 1024;           // a script's stderr reaches our log in lines of at most this
    static final Map<String, List<String>> INTERPRETERS = Map.of(  // by extension: no executable bit, Windows works
            "java", List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),  // our own JDK
                    "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"),  // tuned to start fast rather than to run long
            "sh", List.of("sh"),
            "py", List.of("python3"));
    static final Set<String> SERVER_FIELDS =            // how the response is framed is ours to say, not the script's
            Set.of("content-length", "transfer-encoding", "connection", "date", "server");
    static final Pattern SCRIPT_STATUS = Pattern.compile("([2-5][0-9]{2})(?: (.*))?");  // a 1xx is no final answer
    static final Pattern SCRIPT_LOCATION =  // a local path or a URL
            Pattern.compile("(/|[A-Za-z][A-Za-z0-9+.-]*:)[!-~]*");

    /** A script to run: its file, the URL path that named it (SCRIPT_NAME), and what followed (PATH_INFO). */
    record Script(Path file, String name, String pathInfo) {}

    private Cgi() {}  // a namespace: nothing to instantiate

    /**
     * The rest of a script's stdout, a chunk as it is printed: its length is unknown until the script ends.
     * The server closes it when the response is done, or the client gone, and that ends the script.
     */
    private record ScriptOutput(Process process, InputStream stdout, long deadline)
            implements Iterable<byte[]>, Closeable {
        public Iterator<byte[]> iterator() {
            return new Iterator<>() {
                byte[] next;

                public boolean hasNext() {
                    if (next != null) return true;
                    var buffer = new byte[BUFFER_SIZE];
                    try {
                        int n = stdout.read(buffer);
                        if (n != -1) next = Arrays.copyOf(buffer, n);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    // Killed mid-body: the server resets the connection, as a plain close would pass for the end.
                    if (next == null && System.nanoTime() - deadline >= 0) throw new UncheckedIOException(
                            new IOException("the script ran out of time after its response began"));
                    return next != null;
                }

                public byte[] next() {
                    if (!hasNext()) throw new NoSuchElementException();
                    var chunk = next;
                    next = null;
                    return chunk;
                }
            };
        }

        public void close() {
            kill(process);  // done, or the client is gone, and with it the script's reason to run
        }
    }

    /** Step 7's CGI as a middleware: a path in the root's cgi-bin runs a script; any other goes on to the app. */
    static App scripts(Path root, App app) {
        return (environ, startResponse) -> {
            var path = (String) environ.get("PATH_INFO");
            if (!path.startsWith("/") || !isScriptPath(root, path)) return app.call(environ, startResponse);
            try {
                return runScript(environ, startResponse, root, path);
            } catch (ErrorPage e) {
                return e.send(startResponse);
            }
        };
    }

    /** /cgi-bin/NAME/MORE runs the program NAME with MORE as its PATH_INFO. */
    static Iterable<byte[]> runScript(Map<String, Object> environ, App.StartResponse startResponse, Path root,
                                      String path) throws IOException, ErrorPage {
        if (!List.of("GET", "HEAD", "POST").contains(environ.get("REQUEST_METHOD")))
            throw new ErrorPage(405, "A script takes GET, HEAD and POST.", SCRIPT_ALLOW);
        var names = path.split("/", 4);  // "", "cgi-bin", the script's name, and what follows it: the PATH_INFO
        if (names.length < 3 || names[2].isEmpty()) throw new ErrorPage(404, "Name a script: /cgi-bin/NAME.");
        var scriptName = "/" + names[1] + "/" + names[2];
        var script = new Script(Middleware.locate(root, scriptName), environ.get("SCRIPT_NAME") + scriptName,
                names.length == 4 ? "/" + names[3] : "");
        return run(script, environ, startResponse, root);
    }

    /**
     * Runs a script: the request goes in as environment variables and, for a POST, its body on stdin; what the
     * program prints on stdout is the response.
     */
    static Iterable<byte[]> run(Script script, Map<String, Object> environ, App.StartResponse startResponse,
                                Path root) throws IOException, ErrorPage {
        if (!Files.isRegularFile(script.file()) || !inScriptFolder(root, script.file()))
            throw new ErrorPage(403, "Only a file in cgi-bin runs.");
        var command = command(script.file());
        if (command == null) throw new ErrorPage(403,
                "Not executable: .java, .sh and .py files run here, and on Unix executable files starting with #!.");
        var body = ((InputStream) environ.get("gateway.input")).readAllBytes();  // the server read CONTENT_LENGTH bytes
        var builder = new ProcessBuilder(command).directory(script.file().getParent().toFile());  // RFC 3875 §7.2
        builder.environment().clear();  // from scratch: our variables (secrets, proxy settings) are not its business
        builder.environment().putAll(metaVariables(script, environ, root));
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {  // no python3 on this machine, say
            System.err.println(script.name() + ": cannot start: " + e.getMessage());
            return new ErrorPage(502, "The script could not be started.").send(startResponse);
        }
        long deadline = System.nanoTime() + CGI_TIMEOUT.toNanos();
        Thread.ofVirtual().start(() -> watch(process, script.name()));
        Thread.ofVirtual().start(() -> feed(process, body));
        Thread.ofVirtual().start(() -> logErrors(process, script.name()));  // at once: a full pipe blocks a script
        var stdout = process.getInputStream();
        try {
            return scriptResponse(readScriptHead(stdout), new ScriptOutput(process, stdout, deadline), startResponse);
        } catch (IOException e) {
            kill(process);
            if (System.nanoTime() - deadline >= 0)
                return new ErrorPage(504, "The script did not answer in time.").send(startResponse);
            System.err.println(script.name() + ": " + e.getMessage());  // the details are for us, not for the client
            return new ErrorPage(502, "The script did not answer with a valid CGI response.").send(startResponse);
        }
    }

    /** What runs a script: its interpreter, chosen by extension, or on Unix the script itself if it starts with #!. */
    static List<String> command(Path script) {
        var name = script.getFileName().toString();
        var interpreter = INTERPRETERS.get(name.substring(name.lastIndexOf('.') + 1));
        if (interpreter != null) return Stream.concat(interpreter.stream(), Stream.of(script.toString())).toList();
        if (File.separatorChar == '\\' || !Files.isExecutable(script)) return null;  // Windows has no executable bit
        try (var in = Files.newInputStream(script)) {
            return Arrays.equals(in.readNBytes(2), new byte[] {'#', '!'}) ? List.of(script.toString()) : null;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The meta-variables (RFC 3875 §4.1) are environ's own: the server wrote the request under CGI's names, so
     * they pass as they are, all but the gateway.* keys. The script gets its own SCRIPT_NAME and PATH_INFO. From
     * our own environment only PATH passes, to find sh, java and python3, and SYSTEMROOT, which Windows needs.
     */
    static Map<String, String> metaVariables(Script script, Map<String, Object> environ, Path root) {
        var env = new TreeMap<String, String>();
        for (var name : List.of("PATH", "SYSTEMROOT"))
            if (System.getenv(name) != null) env.put(name, System.getenv(name));
        env.put("GATEWAY_INTERFACE", "CGI/1.1");
        environ.forEach((name, value) -> {
            boolean noBody = name.startsWith("CONTENT_") && "".equals(value);  // no body: none, as in step 7
            if (name.matches("[A-Z0-9_]+") && value instanceof String text && !noBody) env.put(name, text);
        });
        env.put("SCRIPT_NAME", script.name());
        env.put("PATH_INFO", script.pathInfo());  // decoded, as SCRIPT_NAME
        if (!script.pathInfo().isEmpty())
            env.put("PATH_TRANSLATED", root + script.pathInfo().replace('/', File.separatorChar));
        return env;
    }

    /** Kills the script and its children if it runs past CGI_TIMEOUT; logs a failing exit status. */
    static void watch(Process process, String scriptName) {
        try {
            if (!process.waitFor(CGI_TIMEOUT)) {
                System.err.println(scriptName + ": still running after " + CGI_TIMEOUT.toMillis() + " ms, killed");
                kill(process);
            } else if (process.exitValue() != 0) {
                System.err.println(scriptName + ": exited with status " + process.exitValue());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Killing the script alone would leave its children running, and holding its stdout open. */
    static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /** Gives the script the request body on stdin, then end-of-file: a script reading to the end does not hang. */
    static void feed(Process process, byte[] body) {
        try (var stdin = process.getOutputStream()) {
            stdin.write(body);
        } catch (IOException e) {
            // it ended without reading all of it: its choice
        }
    }

    /** Copies the script's stderr into our log, line by line, each line marked with the script's name. */
    static void logErrors(Process process, String scriptName) {
        try (var stderr = process.getErrorStream()) {
            for (String line; (line = readScriptLine(stderr, MAX_LOG_LINE, StandardCharsets.UTF_8)) != null; )
                System.err.println(scriptName + ": " + line);
        } catch (IOException e) {
            // the script is gone
        }
    }

    /** The script's header block (RFC 3875 §6): fields up to an empty line, lines ending in LF or CRLF. */
    static Map<String, String> readScriptHead(InputStream stdout) throws IOException {
        var fields = new TreeMap<String, String>(String.CASE_INSENSITIVE_ORDER);
        for (int budget = MAX_CGI_HEAD; ; ) {
            var line = readScriptLine(stdout, budget, StandardCharsets.ISO_8859_1);
            if (line == null)
                throw new ProtocolException("its output ended before the empty line after its header fields");
            budget -= line.length() + 1;
            if (budget <= 0) throw new ProtocolException("its header block is longer than " + MAX_CGI_HEAD + " bytes");
            if (line.isEmpty()) return fields;
            int colon = line.indexOf(':');
            if (colon < 1 || !App.isToken(line.substring(0, colon)))
                throw new ProtocolException(
                        "not a header field: " + escapeLog(line.substring(0, Math.min(line.length(), 80))));
            var value = trimSpaces(line.substring(colon + 1));
            if (value.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f))  // a CR or NUL would split our head
                throw new ProtocolException("a control character in its field " + line.substring(0, colon));
            fields.merge(line.substring(0, colon), value, (first, next) -> first + ", " + next);
        }
    }

    /**
     * The response that a script's header fields describe, started. Status and Location are CGI's own fields; a
     * response with neither a Location nor a Content-Type says nothing. How it is framed is the server's to say.
     */
    static Iterable<byte[]> scriptResponse(Map<String, String> fields, ScriptOutput output,
                                           App.StartResponse startResponse) throws ProtocolException {
        var location = fields.get("Location");
        if (location != null && !SCRIPT_LOCATION.matcher(location).matches())
            throw new ProtocolException("Location is neither a local path nor an absolute URL: " + escapeLog(location));
        if (location == null && !fields.containsKey("Content-Type"))
            throw new ProtocolException("no Content-Type and no Location");
        var status = Web.status(location == null ? 200 : 302);
        if (fields.containsKey("Status")) {
            var matcher = SCRIPT_STATUS.matcher(fields.get("Status"));
            if (!matcher.matches()) throw new ProtocolException(
                    "Status is not a code from 200 to 599 and a reason: " + escapeLog(fields.get("Status")));
            status = matcher.group(2) == null || matcher.group(2).isBlank()
                    ? Web.status(Integer.parseInt(matcher.group(1))) : fields.get("Status");
        }
        var headers = new LinkedHashMap<>(fields);
        headers.remove("Status");
        headers.keySet().removeIf(name -> SERVER_FIELDS.contains(name.toLowerCase(Locale.ROOT)));
        startResponse.start(status, List.copyOf(headers.entrySet()));
        return output;
    }

    /** A line of a script's output without its LF or CRLF, at most limit bytes (the rest: next line); null at end. */
    static String readScriptLine(InputStream in, int limit, Charset charset) throws IOException {
        var line = new ByteArrayOutputStream();
        for (int b; line.size() < limit && (b = in.read()) != '\n'; ) {
            if (b == -1) return line.size() == 0 ? null : line.toString(charset);
            line.write(b);
        }
        var text = line.toString(charset);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }

    /** Whether the path's first name is cgi-bin. Compared as files: on a case-insensitive disk, so is /CGI-BIN. */
    static boolean isScriptPath(Path root, String path) {
        try {
            return Files.isSameFile(root.resolve(path.substring(1).split("/", 2)[0]), root.resolve(CGI_FOLDER));
        } catch (IOException | InvalidPathException e) {  // no such file, or no cgi-bin: not a script
            return false;
        }
    }

    /** Whether a real path lies in the real cgi-bin folder. */
    static boolean inScriptFolder(Path root, Path file) {
        try {
            return file.startsWith(root.resolve(CGI_FOLDER).toRealPath());
        } catch (IOException e) {  // no cgi-bin folder
            return false;
        }
    }

    /** Strips spaces and tabs at both ends (HTTP's optional whitespace); trim() would strip control characters too. */
    private static String trimSpaces(String text) {
        int start = 0, end = text.length();
        while (start < end && (text.charAt(start) == ' ' || text.charAt(start) == '\t')) start++;
        while (end > start && (text.charAt(end - 1) == ' ' || text.charAt(end - 1) == '\t')) end--;
        return text.substring(start, end);
    }

    /** A script's text, for our log: control characters, quotes and backslashes written as \xHH. */
    private static String escapeLog(String text) {
        var out = new StringBuilder();
        for (char c : text.toCharArray()) {
            if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') out.append("\\x%02x".formatted((int) c));
            else out.append(c);
        }
        return out.toString();
    }
}
