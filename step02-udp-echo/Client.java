///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25+

// Step 2: the client of the UDP echo server.
// New in this step: no connection. Each line of input goes out as one datagram; a reply may never come,
// so we wait a moment, send again, and after a few tries say so and go on with the next line.
// Run: ./jbang step02-udp-echo/Client.java [host] [port]   Try: printf 'hello\n' | ./jbang step02-udp-echo/Client.java

static final int DEFAULT_PORT = 8000;
static final int MAX_DATAGRAM_BYTES = 65_507;    // the largest UDP payload: 65,535 - 8 (UDP header) - 20 (IPv4 header)
static final int TIMEOUT_MILLIS =                // how long one try waits; tests shorten it
        Integer.getInteger("workshop.udpTimeoutMillis", 1_000);
static final int TRIES = Integer.getInteger("workshop.udpTries", 3);
static final String USAGE = """
        Usage: Client.java [host] [port] [-h]
          host          the server's name or address (default 127.0.0.1)
          port          the server's port (default 8000)
          -h, --help    print this help and exit""";

record Options(InetAddress host, int port) {}

void main(String[] args) {
    var options = parseOptions(args);
    var serverAddress = address(options.host(), options.port());
    boolean lost = false;
    try (var client = new DatagramSocket()) {  // bound to a free port of the OS's choice: the replies come back to it
        client.setSoTimeout(TIMEOUT_MILLIS);
        for (byte[] line; (line = readLine(System.in)) != null; ) {
            var reply = exchange(client, new DatagramPacket(line, line.length, options.host(), options.port()));
            if (reply == null) {
                System.err.println("No reply from " + serverAddress + " after " + TRIES
                        + " tries: lost, or no server there");
                lost = true;
            } else {
                System.out.write(reply.getData(), 0, reply.getLength());  // the buffer is larger than the reply
                System.out.flush();
            }
        }
    } catch (IOException e) {
        System.err.println("Error: cannot send to " + serverAddress + ": " + e.getMessage());
        System.exit(1);
    }
    if (lost) System.exit(1);
}

/**
 * Sends the datagram and waits for a reply, sending it again when none comes in time; null after the
 * last try. Whatever datagram arrives first counts as the reply: a late answer to an earlier try
 * would be taken too (see the lesson).
 */
static DatagramPacket exchange(DatagramSocket client, DatagramPacket request) throws IOException {
    var reply = new DatagramPacket(new byte[MAX_DATAGRAM_BYTES], MAX_DATAGRAM_BYTES);
    for (int i = 0; i < TRIES; i++) {
        client.send(request);  // sendto()
        try {
            client.receive(reply);  // recvfrom()
            return reply;
        } catch (SocketTimeoutException e) {
            // lost on the way there, lost on the way back, or nobody listening: UDP cannot tell which
        }
    }
    return null;
}

/** One line: the bytes up to and including LF, which a last line without one gets added; null at the end. */
static byte[] readLine(InputStream in) throws IOException {
    var line = new ByteArrayOutputStream();
    for (int b; (b = in.read()) != -1; ) {
        line.write(b);
        if (b == '\n') return line.toByteArray();
    }
    if (line.size() == 0) return null;
    line.write('\n');  // the last line of a file may lack its LF: add it, so every message is a whole line
    return line.toByteArray();
}

/** host:port; an IPv6 host goes in brackets, [::1]:8000. */
static String address(InetAddress host, int port) {
    var text = host.getHostAddress();
    return (text.contains(":") ? "[" + text + "]" : text) + ":" + port;
}

// The command line: options, and the server's address. Read it last.

static Options parseOptions(String[] args) {
    try {
        var positional = new ArrayList<String>();
        for (var arg : args) {
            switch (arg) {
                case "-h", "--help" -> {
                    IO.println(USAGE);
                    System.exit(0);
                }
                default -> {
                    if (arg.startsWith("-")) throw new IllegalArgumentException("unknown option '" + arg + "'");
                    if (positional.size() == 2) throw new IllegalArgumentException("unexpected argument '" + arg + "'");
                    positional.add(arg);
                }
            }
        }
        var host = positional.isEmpty() ? "127.0.0.1" : positional.get(0);
        // "Client.java 9000" would look up a host named 9000 (an IPv4 address, as it happens): say what to type.
        if (host.matches("[0-9]+"))
            throw new IllegalArgumentException(
                    "'" + host + "' is not a host; name the host first: Client.java 127.0.0.1 " + host);
        int port = positional.size() < 2 ? DEFAULT_PORT : parsePort(positional.get(1));
        return new Options(parseHost(host), port);
    } catch (IllegalArgumentException e) {
        System.err.println("Error: " + e.getMessage());
        System.err.println(USAGE);
        System.exit(2);
        return null;
    }
}

static int parsePort(String text) {
    // Integer.parseInt would accept "+80" and non-ASCII digits: check the shape first.
    if (!text.matches("[0-9]{1,5}") || Integer.parseInt(text) < 1 || Integer.parseInt(text) > 65535)
        throw new IllegalArgumentException("port must be a number from 1 to 65535, not '" + text + "'");
    return Integer.parseInt(text);
}

static InetAddress parseHost(String text) {
    try {
        return InetAddress.getByName(text);
    } catch (UnknownHostException e) {
        throw new IllegalArgumentException("cannot resolve host '" + text + "'");
    }
}
