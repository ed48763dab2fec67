import module java.base;

/**
 * CGI/1.1 (RFC 3875), the server's side: a request becomes a program's environment and standard input,
 * and what the program prints becomes the response. Only a file in the root's cgi-bin folder ever runs.
 */
final class Cgi {
    static final String CGI_FOLDER = "cgi-bin";         // in the root: /cgi-bin/NAME runs NAME; nothing else ever runs
    static final String SCRIPT_ALLOW = "GET, HEAD, POST";
    static final Duration CGI_TIMEOUT =                 // a script that makes no progress that long is killed
            Duration.ofMillis(Long.getLong("workshop.cgiTimeoutMillis", 10_000));  // tests shorten it
    static final Path SETSID = Stream.of("/usr/bin/setsid", "/bin/setsid").map(Path::of)  // Linux's util-linux:
            .filter(Files::isExecutable).findFirst().orElse(null);                       // null on macOS, Windows
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

    /**
     * A script's stdout, as we read it. It notes when we last read or began to wait, so watch() can end a script
     * that stalls; once the script was ended, a read says so rather than pass the cut for the end of its output.
     */
    private static final class Stdout extends FilterInputStream {
        volatile long lastProgress = System.nanoTime();
        volatile boolean ended;       // by us: no output in time, or nobody to send it to
        volatile boolean finished;    // read to the end

        Stdout(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            var one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int count) throws IOException {
            lastProgress = System.nanoTime();
            int n = ended ? -1 : in.read(buffer, offset, count);
            lastProgress = System.nanoTime();
            if (ended) throw new InterruptedIOException("no progress for " + CGI_TIMEOUT.toMillis() + " ms");
            if (n == -1) finished = true;
            return n;
        }
    }

    /** The rest of a script's stdout, sent as it comes: its length is unknown until the script ends. */
    private record ScriptOutput(Process process, Stdout stdout, Socket client, AtomicLong count) implements Body {
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
            } catch (IOException e) {  // the client is gone, or the script stalled: either way, it ends here
                kill(process);
                client.setSoLinger(true, 0);  // and the connection is reset, not closed: a close would pass for the
                throw e;                      // end of a body that only a close can end (HTTP/1.0)
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
        if (SETSID != null) command.addFirst(SETSID.toString());  // its own process group: see kill()
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
        var stdout = new Stdout(process.getInputStream());
        Thread.ofVirtual().start(() -> watch(process, stdout, script.name()));
        Thread.ofVirtual().start(() -> feed(process, body));
        Thread.ofVirtual().start(() -> logErrors(process, script.name()));  // at once: a full pipe blocks a script
        try {
            var output = new ScriptOutput(process, stdout, client, new AtomicLong());
            var response = scriptResponse(readScriptHead(stdout), output);
            if (request.method().equals("HEAD")) kill(process);  // nobody will read its body
            return response;
        } catch (IOException e) {
            kill(process);
            if (stdout.ended) return Response.error(504, "The script did not answer in time.");
            System.err.println(script.name() + ": " + e.getMessage());  // the details are for us, not for the client
            return Response.error(502, "The script did not answer with a valid CGI response.");
        }
    }

    /** What runs a script: its interpreter, chosen by extension, or on Unix the script itself if it starts with #!. */
    static List<String> command(Path script) {
        var name = script.getFileName().toString();
        var interpreter = INTERPRETERS.get(name.substring(name.lastIndexOf('.') + 1));
        if (interpreter != null)
            return Stream.concat(interpreter.stream(), Stream.of(script.toString())).collect(Collectors.toList());
        if (File.separatorChar == '\\' || !Files.isExecutable(script)) return null;  // Windows has no executable bit
        try (var in = Files.newInputStream(script)) {
            if (!Arrays.equals(in.readNBytes(2), new byte[] {'#', '!'})) return null;
            return new ArrayList<>(List.of(script.toString()));
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

    /**
     * Ends the script once it makes no progress for CGI_TIMEOUT: no output while we wait for some, or nobody reading
     * what it wrote (the client went away). A script that keeps writing to a slow client is a download, not a stall.
     * When the script exits, whatever it left running in the background is ended too.
     */
    static void watch(Process process, Stdout stdout, String scriptName) {
        try {
            for (boolean exited = false; !stdout.finished; ) {
                if (!exited && !process.isAlive()) {  // done: what it left running would hold its stdout open
                    exited = true;
                    killGroup(process);  // not destroy(): that would close the stdout we are still reading
                }
                long idle = System.nanoTime() - stdout.lastProgress;
                if (idle > CGI_TIMEOUT.toNanos()) {
                    System.err.println(scriptName + ": no progress for " + CGI_TIMEOUT.toMillis() + " ms, killed");
                    stdout.ended = true;  // first: what it prints from now on is not sent
                    kill(process);
                    return;
                }
                Thread.sleep(Math.min(100, CGI_TIMEOUT.toMillis()));
            }
            if (process.waitFor() != 0) System.err.println(scriptName + ": exited with status " + process.exitValue());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Ends the script and everything it started. Killing it alone would leave its children running and holding
     * its stdout open; killing the children first would let it run its next line. Where setsid runs it in a process
     * group of its own, the whole group dies at once, children that were handed to init included. Elsewhere
     * (Windows, macOS) we kill what we can see: the script, then the descendants it had a moment before.
     */
    static void kill(Process process) {
        var children = process.descendants().toList();
        if (process.isAlive()) killGroup(process);  // once it is gone and reaped, its pid may be another's
        process.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
    }

    /** Where setsid gave the script a process group, kills all of it at once; elsewhere there is none to kill. */
    static void killGroup(Process process) {
        if (SETSID == null) return;
        try {  // the group's id is the script's pid: setsid made it the group's leader
            new ProcessBuilder("kill", "-KILL", "--", "-" + process.pid()).start().waitFor();
        } catch (IOException e) {
            System.err.println("cannot kill the process group " + process.pid() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
