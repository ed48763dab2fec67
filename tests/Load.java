///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25+

// A load client for the workshop's servers: many GET requests, each on a new TCP connection, then a report.
// Step04's lesson uses it to compare a sequential server with a threaded one. A raw Socket per request
// (HttpClient would keep connections alive and reuse them) makes it exactly one connection per request.
// Run: ./jbang tests/Load.java http://127.0.0.1:8000/ -c 50 -n 5000
//      ./jbang tests/Load.java http://127.0.0.1:8000/ --idle 1000

static final int DEFAULT_CONNECTIONS = 10;
static final int MAX_CONNECTIONS = 10_000;
static final int DEFAULT_REQUESTS = 1000;
static final int MAX_REQUESTS = 10_000_000;                 // caps -d runs too: the latencies stay under 80 MB
static final int MAX_SECONDS = 300;                         // for -d
static final Duration TIME_CAP = Duration.ofSeconds(60);    // a -n run, a warm-up or opening idle connections ends here
static final int MAX_IDLE = 20_000;
static final int IDLE_OPENERS = 50;                         // connects in flight at once; more overflow a backlog
static final int CONNECT_TIMEOUT_MS = 5_000;
static final Duration READ_TIMEOUT = Duration.ofSeconds(10);  // the whole response, so a slow drip cannot outlast it
static final int MAX_STATUS_LINE = 8 * 1024;
static final AtomicBoolean FAILED_WORKER = new AtomicBoolean();  // one line for any number of them
static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.[01] ([0-9]{3})( .*)?\r?");
static final String USAGE = """
        Usage: Load.java URL [-c CONNECTIONS] [-n REQUESTS | -d SECONDS] [-w REQUESTS] [--allow-remote]
               Load.java URL --idle N [--allow-remote]
          URL               http://HOST[:PORT][/PATH] to GET; HOST must be a loopback address
          -c CONNECTIONS    requests in flight at once (default 10, at most 10000)
          -n REQUESTS       how many requests (default 1000, at most 10000000); stops after 60 s anyway
          -d SECONDS        send requests for this long instead (at most 300)
          -w REQUESTS       warm-up requests first, not counted (default 0)
          --idle N          open N connections that send nothing (at most 20000), time one GET, close them
          --allow-remote    allow a HOST that is not a loopback address
          -h, --help        print this help and exit
        Each request: connect (5 s), send GET with Connection: close, read until the server closes (10 s).
        Exit status: 0 if every request got a 2xx response, 1 if any did not, 2 for bad arguments.""";

record Target(String url, InetSocketAddress address, byte[] request) {}

record Options(Target target, int connections, int requests, int seconds, int warmup, int idle) {}  // seconds 0: no -d

/** How one request ended: a status code with its bytes and time, or status 0 and an error kind. */
record Outcome(int status, long bytes, long nanos, String error, String detail) {
    /** A timeout is its own kind; otherwise the connect failed, or something after it (called "read"). */
    static Outcome failed(IOException e, boolean connected) {
        var kind = e instanceof SocketTimeoutException ? "timeout" : connected ? "read" : "connect";
        return new Outcome(0, 0, 0, kind, Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName()));
    }
}

/** What a run saw. Many threads add to it; one lock costs nothing next to a TCP handshake per request. */
static final class Tally {
    int responses, ok;                                        // responses: complete ones, whatever their status
    long bytes;
    long[] latencies = new long[1024];                        // nanoseconds, one per complete response
    final Map<String, Integer> errors = new TreeMap<>();      // "connect", "read", "timeout"
    final Map<String, String> firstDetail = new HashMap<>();  // each kind's first message, e.g. "Connection refused"
    final Map<Integer, Integer> non2xx = new TreeMap<>();     // by status code

    synchronized void add(Outcome outcome) {
        if (outcome.status() == 0) {
            errors.merge(outcome.error(), 1, Integer::sum);
            firstDetail.putIfAbsent(outcome.error(), outcome.detail());
            return;
        }
        if (responses == latencies.length) latencies = Arrays.copyOf(latencies, Math.min(2 * responses, MAX_REQUESTS));
        latencies[responses++] = outcome.nanos();
        bytes += outcome.bytes();
        if (outcome.status() / 100 == 2) ok++; else non2xx.merge(outcome.status(), 1, Integer::sum);
    }

    int count(String error) { return errors.getOrDefault(error, 0); }
    int requests() { return responses + count("connect") + count("read") + count("timeout"); }
    int failures() { return requests() - ok; }  // every request that did not end in a 2xx response
}

void main(String[] args) {
    Thread.setDefaultUncaughtExceptionHandler((thread, error) -> reportOnce(error));
    var options = parseOptions(args);
    System.exit((options.idle() > 0 ? idle(options) : load(options)) ? 0 : 1);
}

static Options parseOptions(String[] args) {
    try {
        String url = null;
        int connections = DEFAULT_CONNECTIONS, requests = DEFAULT_REQUESTS, seconds = 0, warmup = 0, idle = 0;
        boolean allowRemote = false;
        var seen = new HashSet<String>();
        for (int i = 0; i < args.length; i++) {
            var arg = args[i];
            switch (arg) {
                case "-h", "--help" -> {
                    IO.println(USAGE);
                    System.exit(0);
                }
                case "--allow-remote" -> allowRemote = true;
                case "-c", "-n", "-d", "-w", "--idle" -> {
                    if (++i == args.length) throw new IllegalArgumentException(arg + " needs a number");
                    seen.add(arg);
                    switch (arg) {
                        case "-c" -> connections = parseNumber(arg, args[i], 1, MAX_CONNECTIONS);
                        case "-n" -> requests = parseNumber(arg, args[i], 1, MAX_REQUESTS);
                        case "-d" -> seconds = parseNumber(arg, args[i], 1, MAX_SECONDS);
                        case "-w" -> warmup = parseNumber(arg, args[i], 0, MAX_REQUESTS);
                        default -> idle = parseNumber(arg, args[i], 1, MAX_IDLE);
                    }
                }
                default -> {
                    if (arg.startsWith("-")) throw new IllegalArgumentException("unknown option '" + arg + "'");
                    if (url != null) throw new IllegalArgumentException("unexpected argument '" + arg + "'");
                    url = arg;
                }
            }
        }
        if (url == null) throw new IllegalArgumentException("a URL is required");
        if (seen.contains("-n") && seen.contains("-d")) throw new IllegalArgumentException("give -n or -d, not both");
        if (seen.contains("--idle") && seen.size() > 1)
            throw new IllegalArgumentException("--idle takes no -c, -n, -d or -w");
        return new Options(parseTarget(url, allowRemote), connections, requests, seconds, warmup, idle);
    } catch (IllegalArgumentException e) {
        System.err.println("Error: " + e.getMessage());
        System.err.println(USAGE);
        System.exit(2);
        return null;
    }
}

static int parseNumber(String option, String text, int min, int max) {
    // Integer.parseInt would accept "+5" and non-ASCII digits: check the shape first.
    if (!text.matches("[0-9]{1,9}") || Integer.parseInt(text) < min || Integer.parseInt(text) > max)
        throw new IllegalArgumentException(option + " needs a number from " + min + " to " + max
                + ", not '" + text + "'");
    return Integer.parseInt(text);
}

/** Checks the URL, resolves its host once (not once per request), and builds the request's bytes. */
static Target parseTarget(String text, boolean allowRemote) {
    URI url;
    try {
        url = new URI(new URI(text).toASCIIString());  // a request target is ASCII: anything else becomes %XX
    } catch (URISyntaxException e) {
        throw new IllegalArgumentException("an http://HOST[:PORT][/PATH] URL is needed, not '" + text + "'");
    }
    if (!"http".equalsIgnoreCase(url.getScheme()) || url.getHost() == null)
        throw new IllegalArgumentException("an http://HOST[:PORT][/PATH] URL is needed, not '" + text + "'");
    int port = url.getPort() == -1 ? 80 : url.getPort();
    if (port < 1 || port > 65535) throw new IllegalArgumentException("port must be from 1 to 65535, not " + port);
    InetAddress address;
    try {
        address = InetAddress.getByName(url.getHost());
    } catch (UnknownHostException e) {
        throw new IllegalArgumentException("cannot resolve host '" + url.getHost() + "'");
    }
    // Pointed at someone else's server, a load generator is an attack: loopback unless the user says otherwise.
    if (!address.isLoopbackAddress() && !allowRemote)
        throw new IllegalArgumentException(url.getHost() + " (" + address.getHostAddress()
                + ") is not a loopback address; pass --allow-remote to load it anyway");
    var target = (url.getRawPath().isEmpty() ? "/" : url.getRawPath())
            + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
    var host = url.getHost() + (url.getPort() == -1 ? "" : ":" + port);
    var request = "GET " + target + " HTTP/1.1\r\nHost: " + host
            + "\r\nUser-Agent: workshop-load\r\nConnection: close\r\n\r\n";
    var bytes = request.getBytes(StandardCharsets.ISO_8859_1);
    return new Target(url.toString(), new InetSocketAddress(address, port), bytes);
}

static boolean load(Options options) {
    var target = options.target();
    if (options.warmup() > 0) {
        IO.println("Warm-up: " + options.warmup() + " requests, not counted");
        var ignored = new Tally();
        repeat(options.connections(), options.warmup(), TIME_CAP, () -> ignored.add(fetch(target)));
    }
    boolean timed = options.seconds() > 0;
    int limit = timed ? MAX_REQUESTS : options.requests();
    IO.println("Load: GET %s, %d connections at once, %s, a new connection per request".formatted(target.url(),
            options.connections(), timed ? "for " + options.seconds() + " s" : limit + " requests"));
    var tally = new Tally();
    long start = System.nanoTime();
    var cap = timed ? Duration.ofSeconds(options.seconds()) : TIME_CAP;
    repeat(options.connections(), limit, cap, () -> tally.add(fetch(target)));
    double seconds = (System.nanoTime() - start) / 1e9;

    int requests = tally.requests();
    if (timed ? requests == limit : requests < limit)
        IO.println("Stopped early, at the cap of " + (timed ? limit + " requests" : TIME_CAP.toSeconds() + " s"));
    var sorted = Arrays.copyOf(tally.latencies, tally.responses);
    Arrays.sort(sorted);
    double rps = tally.responses / seconds;
    double p50 = percentileMs(sorted, 0.50), p99 = percentileMs(sorted, 0.99), max = percentileMs(sorted, 1);
    IO.print("""
              requests    %d in %.2f s
              requests/s  %.1f  (complete responses, whatever their status)
              latency     p50 %.2f ms, p99 %.2f ms, max %.2f ms  (from connect to close)
              bytes read  %d  (status lines, headers and bodies)
              ok (2xx)    %d
              errors      %s
            """.formatted(requests, seconds, rps, p50, p99, max, tally.bytes, tally.ok, describeErrors(tally)));
    IO.println(("result: requests=%d ok=%d errors=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f bytes=%d"
            + " connect=%d read=%d timeout=%d non2xx=%d seconds=%.3f").formatted(requests, tally.ok, tally.failures(),
            rps, p50, p99, max, tally.bytes, tally.count("connect"), tally.count("read"), tally.count("timeout"),
            tally.responses - tally.ok, seconds));
    return tally.failures() == 0;
}

/** Runs task on that many virtual threads, count times in all, none starting after the time limit. */
static void repeat(int threads, int count, Duration limit, Runnable task) {
    var tickets = new AtomicInteger();
    long deadline = System.nanoTime() + limit.toNanos();
    try (var workers = Executors.newVirtualThreadPerTaskExecutor()) {  // close() waits for every worker
        for (int i = 0; i < threads; i++)
            workers.execute(() -> {
                // A task ends within 15 s (connect + read timeouts), so this returns at most 15 s after the deadline.
                while (System.nanoTime() < deadline && tickets.getAndIncrement() < count) task.run();
            });
    }
}

/** One request on a new connection: connect, send, read until the server closes. Failures are outcomes, not thrown. */
static Outcome fetch(Target target) {
    long start = System.nanoTime();
    boolean connected = false;
    try (var socket = new Socket()) {
        socket.connect(target.address(), CONNECT_TIMEOUT_MS);
        connected = true;
        socket.getOutputStream().write(target.request());
        return readResponse(socket, start, System.nanoTime() + READ_TIMEOUT.toNanos());
    } catch (IOException e) {
        return Outcome.failed(e, connected);
    }
}

/** Reads until the server closes: the status line is checked, the rest only counted. */
static Outcome readResponse(Socket socket, long start, long deadline) throws IOException {
    var in = socket.getInputStream();
    var buffer = new byte[8192];
    var statusLine = new StringBuilder();
    boolean lineEnded = false;
    long bytes = 0;
    for (int n; (n = read(socket, in, buffer, deadline)) != -1; bytes += n) {
        for (int i = 0; i < n && !lineEnded; i++) {
            lineEnded = buffer[i] == '\n';
            if (!lineEnded) statusLine.append((char) (buffer[i] & 0xff));  // ISO-8859-1: one byte, one char
            if (statusLine.length() > MAX_STATUS_LINE)
                throw new ProtocolException("a status line longer than " + MAX_STATUS_LINE + " bytes");
        }
    }
    if (bytes == 0) throw new EOFException("the server closed the connection without a response");
    var matcher = STATUS_LINE.matcher(statusLine);
    if (!lineEnded || !matcher.matches())
        throw new ProtocolException("the response does not start with an HTTP/1.x status line");
    return new Outcome(Integer.parseInt(matcher.group(1)), bytes, System.nanoTime() - start, null, null);
}

/** One read, with what is left of the deadline as its timeout. */
static int read(Socket socket, InputStream in, byte[] buffer, long deadline) throws IOException {
    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    if (left <= 0) throw new SocketTimeoutException("no complete response within " + READ_TIMEOUT.toSeconds() + " s");
    socket.setSoTimeout((int) left);
    return in.read(buffer);
}

/** Opens N connections that send nothing, times one ordinary GET while they are open, then closes them. */
static boolean idle(Options options) {
    var target = options.target();
    int count = options.idle();
    IO.println("Idle: opening %d connections to %s that send nothing, %d at a time"
            .formatted(count, target.url(), IDLE_OPENERS));
    var sockets = new ConcurrentLinkedQueue<Socket>();
    var failures = new Tally();
    long start = System.nanoTime();
    repeat(IDLE_OPENERS, count, TIME_CAP, () -> {
        var socket = new Socket();
        try {
            socket.connect(target.address(), CONNECT_TIMEOUT_MS);
            sockets.add(socket);
        } catch (IOException e) {  // a failed connect closes its socket; "Too many open files" lands here (ulimit -n)
            failures.add(Outcome.failed(e, false));
        }
    });
    double seconds = (System.nanoTime() - start) / 1e9;
    int opened = sockets.size(), failed = failures.failures(), untried = count - opened - failed;
    IO.println("  opened      %d of %d in %.2f s".formatted(opened, count, seconds));
    IO.println("  failed      " + describeErrors(failures));
    if (untried > 0) IO.println("  not tried   %d (stopped at the %d s cap)".formatted(untried, TIME_CAP.toSeconds()));

    var outcome = fetch(target);
    double ms = outcome.nanos() / 1e6;
    IO.println(outcome.status() > 0 ? "  then GET    status %d in %.2f ms".formatted(outcome.status(), ms)
            : "  then GET    failed: %s (%s)".formatted(outcome.error(), outcome.detail()));

    // A server may close connections that stay silent (jwebserver keeps 200 at most): count those still open.
    var stillOpen = new AtomicInteger();
    var checked = new AtomicInteger();  // short of opened where a checker failed (reported once, by reportOnce)
    try (var checkers = Executors.newVirtualThreadPerTaskExecutor()) {
        for (var socket : sockets)
            checkers.execute(() -> {
                try (socket) {
                    socket.setSoTimeout(100);
                    socket.getInputStream().read();  // -1, a reset or an answer (say a 408): the server is done with it
                } catch (SocketTimeoutException e) {
                    stillOpen.incrementAndGet();     // silence: still open
                } catch (IOException e) {
                    // reset by the server
                }
                checked.incrementAndGet();
            });
    }
    var unchecked = opened - checked.get();
    IO.println("  still open  %d of %d when checked after the GET%s; all closed now".formatted(stillOpen.get(), opened,
            unchecked > 0 ? " (" + unchecked + " could not be checked)" : ""));
    IO.println("result: idle=%d opened=%d failed=%d not_tried=%d open_s=%.3f status=%d latency_ms=%s still_open=%d"
            .formatted(count, opened, failed, untried, seconds, outcome.status(),
                    outcome.status() > 0 ? "%.2f".formatted(ms) : "NaN", stillOpen.get()));
    return opened == count && outcome.status() / 100 == 2;
}

/**
 * Out of file descriptors (ulimit -n), even the JVM's own machinery fails: a virtual thread cannot park on a socket
 * when the poller behind it cannot open its descriptor. Each worker would print a stack trace of hundreds of lines;
 * one line says it all, and the report that follows counts what did not get done.
 */
static void reportOnce(Throwable error) {
    if (!FAILED_WORKER.compareAndSet(false, true)) return;
    var chain = new StringBuilder();
    for (var cause = error; cause != null; cause = cause.getCause()) chain.append(cause).append('\n');
    var outOfFiles = chain.toString().matches("(?s).*(Too many open files|sun\\.nio\\.ch\\.Poller).*");
    System.err.println("Error: a worker thread failed, and maybe more (shown once): " + error
            + (outOfFiles ? " (out of file descriptors: raise the limit with ulimit -n)" : ""));
}

/** Nearest rank: the smallest latency that a fraction p of the responses did not exceed. */
static double percentileMs(long[] sorted, double p) {
    return sorted.length == 0 ? Double.NaN : sorted[(int) Math.ceil(p * sorted.length) - 1] / 1e6;
}

/** "connect 12 (Connection refused), non-2xx 3 (404: 3)", or "none". */
static String describeErrors(Tally tally) {
    var parts = new ArrayList<String>();
    tally.errors.forEach((kind, n) -> parts.add(kind + " " + n + " (" + tally.firstDetail.get(kind) + ")"));
    var codes = new StringJoiner(", ", "non-2xx " + (tally.responses - tally.ok) + " (", ")");
    tally.non2xx.forEach((status, n) -> codes.add(status + ": " + n));
    if (!tally.non2xx.isEmpty()) parts.add(codes.toString());
    return parts.isEmpty() ? "none" : String.join(", ", parts);
}
