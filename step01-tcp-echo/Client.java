///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25+

// Step 1: the client of the TCP echo server.
// New in this step: connect() to a server, then for each line of input send it and print the echo that
// comes back. Ends at the end of input (Ctrl+D; Ctrl+Z then Enter on Windows).
// Run: ./jbang step01-tcp-echo/Client.java [host] [port]   Try: printf 'hello\n' | ./jbang step01-tcp-echo/Client.java

static final int DEFAULT_PORT = 8000;
static final int CONNECT_TIMEOUT_MILLIS = 5_000;  // a host that never answers fails in seconds, not minutes
static final String USAGE = """
        Usage: Client.java [host] [port] [-h]
          host          the server's name or address (default 127.0.0.1)
          port          the server's port (default 8000)
          -h, --help    print this help and exit""";

record Options(InetAddress host, int port) {}

void main(String[] args) {
    var options = parseOptions(args);
    var serverAddress = address(options.host(), options.port());
    try (var client = connect(options)) {
        var in = new BufferedInputStream(client.getInputStream());
        var out = client.getOutputStream();
        for (byte[] line; (line = readLine(System.in)) != null; ) {
            out.write(line);  // a socket's own stream is not buffered: the line is on its way
            var reply = readLine(in);
            if (reply == null) throw new IOException("the server closed the connection");
            System.out.write(reply);  // bytes as they came: no charset can garble them on the way to the terminal
            System.out.flush();
        }
    } catch (IOException e) {
        System.err.println("Error: connection to " + serverAddress + " lost: " + e.getMessage());
        System.exit(1);
    }
}

/** connect(): the OS picks our own address and port, and the handshake happens here. Failing is not a bug: exit 1. */
static Socket connect(Options options) {
    var client = new Socket();
    try {
        client.connect(new InetSocketAddress(options.host(), options.port()), CONNECT_TIMEOUT_MILLIS);
        return client;
    } catch (IOException e) {
        System.err.println("Error: cannot connect to " + address(options.host(), options.port()) + ": "
                + e.getMessage());
        System.exit(1);
        return null;
    }
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
