///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25+

// Step 2: the echo server over UDP.
// New in this step: no connection, no stream. Each datagram arrives whole with its sender's address,
// and the timestamped echo goes back to that address. No client waits for another to leave.
// Run: ./jbang step02-udp-echo/Server.java [port]   Try: ./jbang step02-udp-echo/Client.java

static final int DEFAULT_PORT = 8000;
static final int MAX_DATAGRAM_BYTES = 65_507;    // the largest UDP payload: 65,535 - 8 (UDP header) - 20 (IPv4 header)
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
        var buffer = new byte[MAX_DATAGRAM_BYTES];  // reused: request.getLength() says how much a datagram filled
        while (true) {
            var request = new DatagramPacket(buffer, buffer.length);
            server.receive(request);  // recvfrom(): one whole datagram, and the address it came from
            serve(server, request);
        }
    }
}

/** Answers one datagram. A failure concerns that datagram alone: log it and go on. */
static void serve(DatagramSocket server, DatagramPacket request) {
    try {
        handle(server, request);
    } catch (IOException e) {
        System.err.println("Reply to " + peer(request) + " failed: " + e.getMessage());
    }
}

/** Sends the datagram's bytes, exactly getLength() of them, back to its sender behind a timestamp. */
static void handle(DatagramSocket server, DatagramPacket request) throws IOException {
    var prefix = ("[" + CTIME.format(LocalDateTime.now()) + "] ").getBytes(StandardCharsets.US_ASCII);
    int echoed = Math.min(request.getLength(), MAX_DATAGRAM_BYTES - prefix.length);  // the reply must fit a datagram
    var reply = Arrays.copyOf(prefix, prefix.length + echoed);
    System.arraycopy(request.getData(), request.getOffset(), reply, prefix.length, echoed);
    server.send(new DatagramPacket(reply, reply.length, request.getSocketAddress()));  // sendto(): back to the sender
    IO.println("Datagram from %s, %d bytes%s".formatted(peer(request), request.getLength(),
            echoed < request.getLength() ? " (echo cut to " + echoed + " bytes to fit one datagram)" : ""));
}

/** The sender of a datagram as host:port; an IPv6 host goes in brackets, [::1]:54321. */
static String peer(DatagramPacket request) {
    var host = request.getAddress().getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + request.getPort();
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

/** bind() alone: UDP has no connections to listen for. Failing here is not a bug: say why and exit 1. */
static DatagramSocket listen(Options options) {
    try {
        return new DatagramSocket(new InetSocketAddress(options.address(), options.port()));
    } catch (IOException e) {
        System.err.println("Error: cannot listen on port " + options.port() + ": " + e.getMessage());
        System.exit(1);
        return null;
    }
}

static String banner(DatagramSocket server) {
    return "UDP echo server listening on %s port %d"
            .formatted(server.getLocalAddress().getHostAddress(), server.getLocalPort());
}
