///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25+

// Holds many connections to a workshop server the way a careless or hostile client would, and meanwhile times
// a normal request every 100 ms on a fresh connection: the server's bounds are kept if those stay fast.
// tests/bounds.sh runs it against steps 06 and 07 with a 256 MiB heap and reads the server's peak memory.
// Run: ./jbang tests/Bounds.java http://127.0.0.1:8000/ stall 1000
//      (scenarios: stall, almost, unread, kept; see the usage)

static final int MAX_CONNECTIONS = 15_000;
static final int MAX_SECONDS = 120;
static final int BODY = 1 << 20;                           // the form's limit in steps 06-08
static final int OPENERS = 50;                             // connects in flight at once: more overflow a backlog
static final Duration PROBE_EVERY = Duration.ofMillis(100);
static final int TIMEOUT_MS = 5_000;                       // a probe slower than this counts as failed
static final String USAGE = """
        Usage: Bounds.java URL SCENARIO N [-s SECONDS]
          URL        http://127.0.0.1:PORT/ (a loopback address): the page the probes GET; the form is /greet
          SCENARIO   stall:  N clients announce a 1 MiB form, send 1 byte of it, and wait
                     almost: N clients send all of a 1 MiB form but its last byte, and wait
                     unread: N clients post a 1 MiB form of '"' (the worst to echo) and never read the answer
                     kept:   N clients GET the page on a kept-alive connection, read it, and stay
          N          how many such clients (at most 15000)
          -s SECONDS how long to hold them while probing (default 10, at most 120)
        Prints how many connections were opened and the probes' latencies; exit 1 if a probe failed.""";

record Options(URI url, InetSocketAddress address, String scenario, int clients, int seconds) {}

void main(String[] args) throws Exception {
    var options = parseOptions(args);
    var held = Collections.synchronizedList(new ArrayList<Socket>());
    var opened = new AtomicInteger();
    var refused = new AtomicInteger();
    long start = System.nanoTime();
    try (var openers = Executors.newFixedThreadPool(OPENERS, Thread.ofVirtual().factory())) {
        for (int i = 0; i < options.clients(); i++)
            openers.submit(() -> {
                try {
                    held.add(open(options));
                    opened.incrementAndGet();
                } catch (IOException e) {
                    refused.incrementAndGet();
                }
            });
    }
    IO.println("%s: %d of %d clients in place after %d ms (%d failed to connect or send)".formatted(options.scenario(),
            opened.get(), options.clients(), (System.nanoTime() - start) / 1_000_000, refused.get()));
    var latencies = new ArrayList<Long>();
    int failed = 0;
    long end = System.nanoTime() + Duration.ofSeconds(options.seconds()).toNanos();
    while (System.nanoTime() < end) {
        long before = System.nanoTime();
        if (probe(options)) latencies.add((System.nanoTime() - before) / 1_000);
        else failed++;
        Thread.sleep(PROBE_EVERY);
    }
    int stillOpen = (int) held.stream().filter(socket -> !closedByServer(socket)).count();
    held.forEach(socket -> {
        try {
            socket.close();
        } catch (IOException e) {
            // closing is all we want
        }
    });
    Collections.sort(latencies);
    double median = latencies.isEmpty() ? 0 : latencies.get(latencies.size() / 2) / 1000.0;
    double max = latencies.isEmpty() ? 0 : latencies.getLast() / 1000.0;
    IO.println("probes: %d answered 200, %d failed; latency median %.1f ms, max %.1f ms; %d of %d still open"
            .formatted(latencies.size(), failed, median, max, stillOpen, opened.get()));
    System.exit(failed == 0 ? 0 : 1);
}

/** One client of the scenario, left in place. */
static Socket open(Options options) throws IOException {
    var socket = new Socket();
    socket.connect(options.address(), TIMEOUT_MS);
    var out = socket.getOutputStream();
    var host = "Host: " + options.url().getAuthority() + "\r\n";
    var form = "POST /greet HTTP/1.1\r\n" + host + "Content-Type: application/x-www-form-urlencoded\r\n"
            + "Content-Length: " + BODY + "\r\n\r\n";
    switch (options.scenario()) {
        case "stall" -> out.write((form + "f").getBytes(StandardCharsets.ISO_8859_1));
        case "almost", "unread" -> {
            var body = new byte[BODY];
            Arrays.fill(body, (byte) '"');
            System.arraycopy("firstname=".getBytes(StandardCharsets.ISO_8859_1), 0, body, 0, 10);
            out.write(form.getBytes(StandardCharsets.ISO_8859_1));
            out.write(body, 0, options.scenario().equals("almost") ? BODY - 1 : BODY);
        }
        case "kept" -> {
            out.write(("GET " + path(options) + " HTTP/1.1\r\n" + host + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            socket.setSoTimeout(TIMEOUT_MS);
            readResponse(socket.getInputStream());  // and the connection stays open, as the server allows
        }
        default -> throw new IllegalStateException(options.scenario());
    }
    out.flush();
    return socket;
}

/** A normal GET on a new connection: true if it got a 200 within TIMEOUT_MS. */
static boolean probe(Options options) {
    try (var socket = new Socket()) {
        socket.connect(options.address(), TIMEOUT_MS);
        socket.setSoTimeout(TIMEOUT_MS);
        socket.getOutputStream().write(("GET " + path(options) + " HTTP/1.1\r\nHost: " + options.url().getAuthority()
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        return readResponse(socket.getInputStream()).startsWith("HTTP/1.1 200 ");
    } catch (IOException e) {
        return false;
    }
}

/** Reads one response with a Content-Length; returns its status line. */
static String readResponse(InputStream in) throws IOException {
    var head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b == -1) throw new EOFException("the response ended in its head");
        head.write(b);
    }
    var text = head.toString(StandardCharsets.ISO_8859_1);
    var length = Pattern.compile("(?im)^Content-Length: *([0-9]+)").matcher(text);
    if (length.find()) in.readNBytes(Integer.parseInt(length.group(1)));
    return text.substring(0, text.indexOf("\r\n"));
}

/** Whether the server has closed this connection (what it sent is skipped). */
static boolean closedByServer(Socket socket) {
    try {
        socket.setSoTimeout(1);
        var in = socket.getInputStream();
        while (in.available() > 0) in.skip(in.available());
        return in.read() == -1;
    } catch (SocketTimeoutException e) {
        return false;
    } catch (IOException e) {
        return true;  // reset
    }
}

static String path(Options options) {
    return options.url().getRawPath().isEmpty() ? "/" : options.url().getRawPath();
}

// The command line: a loopback URL, a scenario, a number.

static Options parseOptions(String[] args) {
    try {
        if (args.length == 1 && (args[0].equals("-h") || args[0].equals("--help"))) {
            IO.println(USAGE);
            System.exit(0);
        }
        if (args.length != 3 && args.length != 5) throw new IllegalArgumentException("expected URL SCENARIO N");
        var url = URI.create(args[0]);
        if (!"http".equals(url.getScheme()) || url.getHost() == null)
            throw new IllegalArgumentException("not an http URL: " + args[0]);
        var host = InetAddress.getByName(url.getHost());
        if (!host.isLoopbackAddress()) throw new IllegalArgumentException("not a loopback address: " + url.getHost());
        var address = new InetSocketAddress(host, url.getPort() < 0 ? 80 : url.getPort());
        if (!Set.of("stall", "almost", "unread", "kept").contains(args[1]))
            throw new IllegalArgumentException("unknown scenario '" + args[1] + "'");
        int clients = number(args[2], MAX_CONNECTIONS);
        int seconds = 10;
        if (args.length == 5) {
            if (!args[3].equals("-s")) throw new IllegalArgumentException("unknown option '" + args[3] + "'");
            seconds = number(args[4], MAX_SECONDS);
        }
        return new Options(url, address, args[1], clients, seconds);
    } catch (IllegalArgumentException | UnknownHostException e) {
        System.err.println("Error: " + e.getMessage());
        System.err.println(USAGE);
        System.exit(2);
        return null;
    }
}

static int number(String text, int max) {
    if (!text.matches("[0-9]{1,6}") || Integer.parseInt(text) < 1 || Integer.parseInt(text) > max)
        throw new IllegalArgumentException("expected a number from 1 to " + max + ", not '" + text + "'");
    return Integer.parseInt(text);
}
