///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25+

// Step 1: a TCP echo server, from the socket up.
// New in this step: bind, listen, accept; every line a client sends comes back with the server's time
// in front, until the client closes. Then the next client. One client at a time.
// Run: ./jbang step01-tcp-echo/Server.java [port]   Try: ./jbang step01-tcp-echo/Client.java

static final int DEFAULT_PORT = 8000;
static final int BACKLOG = 50;                   // connections the OS queues for us until accept()
static final int MAX_LINE_BYTES = 1 << 20;       // a line is held in memory until its LF: a longer one closes
static final DateTimeFormatter CTIME =           // like Python's time.ctime(): "Tue Nov  3 07:04:01 2026"
        DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.ROOT);
static final String USAGE = """
        Usage: Server.java [port] [-b ADDRESS] [-h]
          port                  port to listen on (default 8000; 0 lets the OS pick a free one)
          -b, --bind ADDRESS    address to listen on (default 127.0.0.1; 0.0.0.0 means every interface)
          -h, --help            print this help and exit""";

record Options(int port, InetAddress address) {}

void main(String[] args) throws IOException {
    var options = parseOptions(args);
    try (var server = listen(options)) {
        IO.println(banner(server));
        while (true) {
            serve(server.accept());  // while we serve one client, the next waits in the OS's queue
        }
    }
}

/** Owns one connection: handle it, then close it, whatever happens. */
static void serve(Socket client) {
    try (client) {
        handle(client);
    } catch (IOException e) {
        System.err.println("Connection from " + peer(client) + " failed: " + e.getMessage());
    }
}

/** Echoes each line, its own bytes untouched, behind a timestamp; returns when the client closes its side. */
static void handle(Socket client) throws IOException {
    IO.println("Connected by " + peer(client));
    var in = new BufferedInputStream(client.getInputStream());
    var out = new BufferedOutputStream(client.getOutputStream());
    for (byte[] line; (line = readLine(in)) != null; ) {
        out.write(("[" + CTIME.format(LocalDateTime.now()) + "] ").getBytes(StandardCharsets.US_ASCII));
        out.write(line);
        out.flush();
    }
    IO.println("Closed by " + peer(client));
}

/**
 * One message: the bytes up to and including LF, or the last piece before the client closed;
 * null when nothing is left. TCP delivers a stream, not messages: the LF is where one ends,
 * however the bytes were cut into packets on the way.
 */
static byte[] readLine(InputStream in) throws IOException {
    var line = new ByteArrayOutputStream();
    for (int b; (b = in.read()) != -1; ) {
        line.write(b);
        if (b == '\n') break;
        if (line.size() == MAX_LINE_BYTES) throw new IOException("a line longer than " + MAX_LINE_BYTES + " bytes");
    }
    return line.size() == 0 ? null : line.toByteArray();
}

/** The other end of a connection as host:port; an IPv6 host goes in brackets, [::1]:54321. */
static String peer(Socket client) {
    var host = client.getInetAddress().getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + client.getPort();
}

// The command line: options, then bind and listen. Read it last; it is the same in every step.

static Options parseOptions(String[] args) {
    try {
        int port = DEFAULT_PORT;
        String address = "127.0.0.1";
        boolean portSeen = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-h", "--help" -> {
                    IO.println(USAGE);
                    System.exit(0);
                }
                case "-b", "--bind" -> {
                    if (++i == args.length) throw new IllegalArgumentException(args[i - 1] + " needs an address");
                    address = args[i];
                }
                default -> {
                    if (args[i].startsWith("-")) throw new IllegalArgumentException("unknown option '" + args[i] + "'");
                    if (portSeen) throw new IllegalArgumentException("unexpected argument '" + args[i] + "'");
                    port = parsePort(args[i]);
                    portSeen = true;
                }
            }
        }
        return new Options(port, parseAddress(address));
    } catch (IllegalArgumentException e) {
        System.err.println("Error: " + e.getMessage());
        System.err.println(USAGE);
        System.exit(2);
        return null;
    }
}

static int parsePort(String text) {
    // Integer.parseInt would accept "+80" and non-ASCII digits: check the shape first.
    if (!text.matches("[0-9]{1,5}") || Integer.parseInt(text) > 65535)
        throw new IllegalArgumentException("port must be a number from 0 to 65535, not '" + text + "'");
    return Integer.parseInt(text);
}

static InetAddress parseAddress(String text) {
    try {
        return InetAddress.getByName(text);
    } catch (UnknownHostException e) {
        throw new IllegalArgumentException("cannot resolve address '" + text + "'");
    }
}

/** bind() and listen() in one: the OS now queues connections for us. Failing here is not a bug: say why and exit 1. */
static ServerSocket listen(Options options) {
    try {
        return new ServerSocket(options.port(), BACKLOG, options.address());
    } catch (IOException e) {
        System.err.println("Error: cannot listen on port " + options.port() + ": " + e.getMessage());
        System.exit(1);
        return null;
    }
}

static String banner(ServerSocket server) {
    return "TCP echo server listening on %s port %d"
            .formatted(server.getInetAddress().getHostAddress(), server.getLocalPort());
}
