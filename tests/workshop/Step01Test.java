package workshop;

import static org.junit.jupiter.api.Assertions.*;
import static workshop.Cli.*;
import static workshop.Echo.*;

import java.io.*;
import java.net.*;
import java.time.Duration;
import java.util.*;
import org.junit.jupiter.api.*;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Tag("step01")
@DisplayName("step01 tcp-echo")
class Step01Test {
    @RegisterExtension
    static final StepServer server = StepServer.plain();

    @Test
    @DisplayName("a line comes back byte for byte, behind the server's time in ctime format")
    void roundTrip() throws IOException {
        try (var client = connect(server.port())) {
            assertEcho("hello\n", exchange(client, "hello\n"));
        }
    }

    @Test
    @DisplayName("a message ends at LF, however the bytes were cut on the way")
    void lineFraming() throws Exception {
        try (var client = connect(server.port())) {
            var out = client.getOutputStream();
            out.write(bytes("hel"));
            out.flush();
            Thread.sleep(200);  // the server sees "hel" alone first, and must wait for the rest of the line
            assertEcho("hello\n", exchange(client, "lo\n"));
            assertEcho("one\n", exchange(client, "one\ntwo\n"));
            assertEcho("two\n", reply(client));
        }
    }

    @Test
    @DisplayName("UTF-8 and bytes that are no text at all come back unchanged")
    void anyBytes() throws IOException {
        try (var client = connect(server.port())) {
            assertEcho("你好\n", exchange(client, "你好\n"));
            byte[] binary = {(byte) 0xff, (byte) 0xfe, 0, (byte) 0xc3, '\r', '\n'};
            assertEcho(binary, exchange(client, binary));
        }
    }

    @Test
    @DisplayName("a line of 100 KB, larger than any one read, comes back whole")
    void largeLine() throws IOException {
        var line = new byte[100_000];
        for (int i = 0; i < line.length - 1; i++) line[i] = (byte) ('a' + i % 26);
        line[line.length - 1] = '\n';
        try (var client = connect(server.port())) {
            assertEcho(line, exchange(client, line));
        }
    }

    @Test
    @DisplayName("a last piece without LF is echoed when the client closes its side")
    void lastPiece() throws IOException {
        try (var client = connect(server.port())) {
            client.getOutputStream().write(bytes("bye"));
            client.shutdownOutput();
            try {
                assertEcho("bye", client.getInputStream().readAllBytes());
            } catch (SocketTimeoutException e) {
                throw new AssertionError("no echo and no close within " + client.getSoTimeout() / 1000
                        + " s of the client's end of input: does the server echo what comes after the last LF?");
            }
        }
    }

    @Test
    @DisplayName("two clients one after the other each get their echo, and the log names each one's address")
    void oneAfterTheOther() throws IOException {
        for (var text : List.of("first\n", "second\n")) {
            try (var client = connect(server.port())) {
                assertEcho(text, exchange(client, text));
                var address = "Connected by 127.0.0.1:" + client.getLocalPort();
                server.step().awaitLine(address::equals, Duration.ofSeconds(5));
            }
        }
    }

    @Test
    @DisplayName("a second client waits while the first is connected, and is answered once the first closes")
    void oneAtATime() throws IOException {
        // Both connect: the OS queues the second until the server accepts it.
        try (var first = connect(server.port()); var second = connect(server.port())) {
            assertEcho("first\n", exchange(first, "first\n"));
            second.getOutputStream().write(bytes("second\n"));
            second.setSoTimeout(700);
            assertThrows(SocketTimeoutException.class, () -> readLine(second.getInputStream()),
                    "the second client was answered while the first was still connected");
            first.close();
            second.setSoTimeout(REPLY_TIMEOUT_MILLIS);
            assertEcho("second\n", reply(second));
        }
    }

    @Test
    @DisplayName("a client that closes or resets in the middle of a line does not stop the server")
    void brokenClients() throws Exception {
        int resetPort;
        try (var resetting = connect(server.port())) {
            assertEcho("hi\n", exchange(resetting, "hi\n"));  // now the server is reading from this one
            resetting.getOutputStream().write(bytes("half a li"));
            resetting.setSoLinger(true, 0);  // close() now sends RST, not FIN: "Connection reset" on the server
            resetPort = resetting.getLocalPort();
        }
        try (var leaving = connect(server.port())) {
            leaving.getOutputStream().write(bytes("half a li"));
        }
        try (var client = connect(server.port())) {
            assertEcho("still there?\n", exchange(client, "still there?\n"));
        }
        server.step().awaitStderr("Connection from 127.0.0.1:" + resetPort + " failed", Duration.ofSeconds(5));
    }

    @Test
    @DisplayName("Client.java sends each line of its input and prints each echo")
    void clientProgram() throws IOException {
        assertServerEchoes();  // else the client would wait for its echo until the test gives up
        assertClientEchoes(server);
    }

    @Test
    @DisplayName("Client.java with nothing listening says so and exits 1")
    void clientRefused() throws IOException {
        int closed;
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        var launch = server.launch("Client.java").args("127.0.0.1", String.valueOf(closed)).stdin("hello\n");
        try (var client = launch.start()) {
            assertEquals(1, client.awaitExit(EXIT_TIMEOUT), client.output());
            var error = "Error: cannot connect to 127.0.0.1:" + closed + ": Connection refused";
            assertTrue(client.stderr().startsWith(error), client::output);
        }
    }

    @ParameterizedTest(name = "{0} --help")
    @ValueSource(strings = {"Server.java", "Client.java"})
    @DisplayName("--help prints the usage on stdout and exits 0")
    void help(String program) throws IOException {
        assertHelp(server, program);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Server.java abc", "Server.java 70000", "Server.java +80", "Server.java -x",
            "Client.java 127.0.0.1 0", "Client.java 8000"})
    @DisplayName("a bad argument gets one Error line and the usage on stderr, exit 2")
    void badArgument(String command) throws IOException {
        assertUsageError(server, command);
    }

    @Test
    @DisplayName("a port in use gets 'Error: cannot listen on port N: Address already in use', exit 1")
    void portInUse() throws IOException {
        try (var taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertPortInUse(server, taken.getLocalPort());
        }
    }

    @Test
    @DisplayName("the server runs as the lesson says: ./jbang step01-tcp-echo/Server.java")
    void viaJbang() throws IOException {
        try (var jbanged = server.launch("Server.java").args("0").viaJbang().start();
             var client = connect(jbanged.port())) {
            assertEcho("hello\n", exchange(client, "hello\n"));
        }
    }

    // Talking to the TCP server.

    /** A connection whose reads give up after 2 s, so that a server that never answers fails the test quickly. */
    static Socket connect(int port) throws IOException {
        var client = new Socket(InetAddress.getLoopbackAddress(), port);
        client.setSoTimeout(REPLY_TIMEOUT_MILLIS);
        return client;
    }

    static byte[] exchange(Socket client, String text) throws IOException {
        return exchange(client, bytes(text));
    }

    static byte[] exchange(Socket client, byte[] line) throws IOException {
        client.getOutputStream().write(line);
        client.getOutputStream().flush();
        return reply(client);
    }

    /** The next echo; silence says what a learner most likely forgot. */
    static byte[] reply(Socket client) throws IOException {
        try {
            return readLine(client.getInputStream());
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no reply within " + client.getSoTimeout() / 1000
                    + " s: did the server flush its output?");
        }
    }

    /** One echo: bytes up to and including LF. Not buffered, so that nothing of the next echo is read ahead. */
    static byte[] readLine(InputStream in) throws IOException {
        var line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b == -1)
                throw new EOFException("the server closed the connection after " + Show.brief(line.toByteArray()));
            line.write(b);
        }
        line.write('\n');
        return line.toByteArray();
    }

    /** A quick round trip before a test that would otherwise wait long for a server that does not answer. */
    static void assertServerEchoes() throws IOException {
        try (var client = connect(server.port())) {
            assertEcho("ping\n", exchange(client, "ping\n"));
        }
    }
}
