import module java.base;

/**
 * CGI/1.1 (RFC 3875), the server's side: a request becomes a program's environment and standard input,
 * and what the program prints becomes the response. Only a file in the root's cgi-bin folder ever runs.
 */
final class Cgi {
    static final String CGI_FOLDER = "cgi-bin";         // in the root: /cgi-bin/NAME runs NAME; nothing else ever runs
    static final String SCRIPT_ALLOW = "GET, HEAD, POST";
    static final Duration CGI_TIMEOUT =                 // a script still running then is killed, with its children
            Duration.ofMillis(Long.getLong("workshop.cgiTimeoutMillis", 10_000));  // tests shorten it
    static final int MAX_CGI_HEAD = 64 * 1024;          // a script's header block: one printing headers forever: 502
    static final int MAX_LOG_LINE = 8 * 1024;           // a script's stderr reaches our log in lines of at most this
    static final Map<String, List<String>> INTERPRETERS = Map.of(  // by extension: no executable bit, Windows works
            "java", List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),  // our own JDK
                    "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"),  // tuned to start fast rather than to run long
            "sh", List.of("sh"),
            "py", List.of("python3"));
    static final Set<String> NOT_PASSED = Set.of(       // request fields that get no HTTP_ variable:
            "authorization", "proxy-authorization",     // credentials stay with the server (RFC 3875 §4.1.18),
            "proxy",                                    // HTTP_PROXY would pass for a proxy setting ("httpoxy"),
            "content-type", "content-length");          // and these two are CONTENT_TYPE and CONTENT_LENGTH
    static final Set<String> SERVER_FIELDS =            // how the response is framed is ours to say, not the script's
            Set.of("content-length", "transfer-encoding", "connection", "date", "server");
    static final Pattern SCRIPT_STATUS = Pattern.compile("([2-5][0-9]{2})(?: (.*))?");  // a 1xx is no final answer
    static final Pattern SCRIPT_LOCATION =  // a local path or a URL
            Pattern.compile("(/|[A-Za-z][A-Za-z0-9+.-]*:)[!-~]*");

    /** A script to run: its file, the URL path that named it (SCRIPT_NAME), and what followed (PATH_INFO). */
    record Script(Path file, String name, String pathInfo) {}

    private Cgi() {}  // a namespace: nothing to instantiate

    /** The rest of a script's stdout, sent as it comes: its length is unknown until the script ends. */
    private record ScriptOutput(Process process, InputStream stdout, Socket client, long deadline, AtomicLong count)
            implements Body {
        public long length() {
            return -1;
        }

        public long sent() {
            return count.get();
        }

        public void writeTo(OutputStream out) throws IOException {
            var buffer = new byte[Body.BUFFER_SIZE];
            try {
                for (int n; (n = stdout.read(buffer)) != -1; count.addAndGet(n)) {
                    out.write(buffer, 0, n);
                    out.flush();  // what a slow script prints reaches the client as it is printed
                }
            } catch (IOException e) {  // the client is gone, and with it the script's reason to run
                kill(process);
                throw e;
            }
            if (System.nanoTime() - deadline >= 0) {  // killed mid-body: a plain close would pass for the body's end,
                client.setSoLinger(true, 0);          // so the close resets the connection, and the client sees the cut
                throw new IOException("the script ran out of time after its response began: connection reset");
            }
        }
    }

    /**
     * Runs a script: the request goes in as environment variables and, for a POST, its body on stdin; what the
     * program prints on stdout is the response.
     */
    static Response run(Script script, Request request, String query, byte[] body, Socket client, Path root,
                        String serverName) throws IOException, HttpError {
        if (!Files.isRegularFile(script.file()) || !inScriptFolder(root, script.file()))
            throw new HttpError(403, "Only a file in cgi-bin runs.");
        var command = command(script.file());
        if (command == null) throw new HttpError(403,
                "Not executable: .java, .sh and .py files run here, and on Unix executable files starting with #!.");
        var builder = new ProcessBuilder(command).directory(script.file().getParent().toFile());  // RFC 3875 §7.2
        builder.environment().clear();  // from scratch: our variables (secrets, proxy settings) are not its business
        builder.environment().putAll(metaVariables(script, request, query, body.length, client, root, serverName));
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {  // no python3 on this machine, say
            System.err.println(script.name() + ": cannot start: " + e.getMessage());
            return Response.error(502, "The script could not be started.");
        }
        long deadline = System.nanoTime() + CGI_TIMEOUT.toNanos();
        Thread.ofVirtual().start(() -> watch(process, script.name()));
        Thread.ofVirtual().start(() -> feed(process, body));
        Thread.ofVirtual().start(() -> logErrors(process, script.name()));  // at once: a full pipe blocks a script
        var stdout = process.getInputStream();
        try {
            var output = new ScriptOutput(process, stdout, client, deadline, new AtomicLong());
            var response = scriptResponse(readScriptHead(stdout), output);
            if (request.method().equals("HEAD")) kill(process);  // nobody will read its body
            return response;
        } catch (IOException e) {
            kill(process);
            if (System.nanoTime() - deadline >= 0) return Response.error(504, "The script did not answer in time.");
            System.err.println(script.name() + ": " + e.getMessage());  // the details are for us, not for the client
            return Response.error(502, "The script did not answer with a valid CGI response.");
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
     * The request as meta-variables (RFC 3875 §4.1), built from scratch. From our own environment only
     * PATH passes, to find sh, java and python3, and SYSTEMROOT, without which Windows programs fail.
     */
    static Map<String, String> metaVariables(Script script, Request request, String query, int bodyLength,
                                             Socket client, Path root, String serverName) {
        var env = new TreeMap<String, String>();
        for (var name : List.of("PATH", "SYSTEMROOT"))
            if (System.getenv(name) != null) env.put(name, System.getenv(name));
        env.put("GATEWAY_INTERFACE", "CGI/1.1");
        env.put("SERVER_SOFTWARE", serverName);
        env.put("SERVER_NAME", client.getLocalAddress().getHostAddress());
        env.put("SERVER_PORT", String.valueOf(client.getLocalPort()));
        env.put("SERVER_PROTOCOL", request.version());
        env.put("REQUEST_METHOD", request.method());
        env.put("SCRIPT_NAME", script.name());
        env.put("PATH_INFO", script.pathInfo());  // decoded, as SCRIPT_NAME
        if (!script.pathInfo().isEmpty())
            env.put("PATH_TRANSLATED", root + script.pathInfo().replace('/', File.separatorChar));
        env.put("QUERY_STRING", query);  // as sent, still percent-encoded: decoding it is the script's job
        env.put("REMOTE_ADDR", client.getInetAddress().getHostAddress());
        env.put("REMOTE_PORT", String.valueOf(client.getPort()));
        if (bodyLength > 0) {
            env.put("CONTENT_LENGTH", String.valueOf(bodyLength));
            if (request.header("Content-Type") != null) env.put("CONTENT_TYPE", request.header("Content-Type"));
        }
        request.headers().forEach((name, values) -> {
            // X-A and X_A would both be HTTP_X_A, so a name with anything but letters, digits and dashes is dropped.
            if (name.matches("[A-Za-z0-9-]+") && !NOT_PASSED.contains(name.toLowerCase(Locale.ROOT)))
                env.put("HTTP_" + name.toUpperCase(Locale.ROOT).replace('-', '_'), String.join(", ", values));
        });
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
            if (colon < 1 || !Http.isToken(line.substring(0, colon)))
                throw new ProtocolException(
                        "not a header field: " + Http.escapeLog(line.substring(0, Math.min(line.length(), 80))));
            var value = Http.trimSpaces(line.substring(colon + 1));
            if (value.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f))  // a CR or NUL would split our head
                throw new ProtocolException("a control character in its field " + line.substring(0, colon));
            fields.merge(line.substring(0, colon), value, (first, next) -> first + ", " + next);
        }
    }

    /**
     * The response that a script's header fields describe. Status and Location are CGI's own fields; a
     * response with neither a Location nor a Content-Type says nothing. How it is framed is ours to say.
     */
    static Response scriptResponse(Map<String, String> fields, Body body) throws ProtocolException {
        var location = fields.get("Location");
        if (location != null && !SCRIPT_LOCATION.matcher(location).matches())
            throw new ProtocolException(
                    "Location is neither a local path nor an absolute URL: " + Http.escapeLog(location));
        if (location == null && !fields.containsKey("Content-Type"))
            throw new ProtocolException("no Content-Type and no Location");
        int status = location == null ? 200 : 302;
        var reason = Http.reason(status);
        if (fields.containsKey("Status")) {
            var matcher = SCRIPT_STATUS.matcher(fields.get("Status"));
            if (!matcher.matches()) throw new ProtocolException(
                    "Status is not a code from 200 to 599 and a reason: " + Http.escapeLog(fields.get("Status")));
            status = Integer.parseInt(matcher.group(1));
            reason = matcher.group(2) == null || matcher.group(2).isBlank() ? Http.reason(status) : matcher.group(2);
        }
        var headers = new LinkedHashMap<>(fields);
        headers.remove("Status");
        headers.keySet().removeIf(name -> SERVER_FIELDS.contains(name.toLowerCase(Locale.ROOT)));
        return new Response(status, reason, headers, body);
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
}
