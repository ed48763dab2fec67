package workshop;

import static org.junit.jupiter.api.Assertions.*;
import static workshop.Cli.*;

import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.*;
import java.util.regex.Pattern;
import org.junit.jupiter.api.*;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Tag("step01")
@DisplayName("step01 tcp-echo")
class Step01Test {
    static final String STEP = "step01-tcp-echo";
    /** Python's ctime() in brackets and a space: "[Tue Nov  3 07:04:01 2026] ", always 27 ASCII bytes. */
    static final Pattern PREFIX = Pattern.compile("\\[(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
            + " [ 123][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [0-9]{4}\\] ");
    static final int PREFIX_BYTES = 27;

    static Step server;
    static int port;

    @BeforeAll
    static void start() throws IOException {
        server = Step.launch(STEP, "Server.java").args("0").start();
        port = server.port();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    @DisplayName("a line comes back byte for byte, behind the server's time in ctime format")
    void roundTrip() throws IOException {
        try (var client = Http.connect(port)) {
            assertEcho("hello\n", exchange(client, "hello\n"));
        }
    }

    @Test
    @DisplayName("a message ends at LF, however the bytes were cut on the way")
    void lineFraming() throws Exception {
        try (var client = Http.connect(port)) {
            var out = client.getOutputStream();
            out.write(bytes("hel"));
            out.flush();
            Thread.sleep(200);  // the server sees "hel" alone first, and must wait for the rest of the line
            assertEcho("hello\n", exchange(client, "lo\n"));
            assertEcho("one\n", exchange(client, "one\ntwo\n"));
            assertEcho("two\n", readLine(client.getInputStream()));
        }
    }

    @Test
    @DisplayName("UTF-8 and bytes that are no text at all come back unchanged")
    void anyBytes() throws IOException {
        try (var client = Http.connect(port)) {
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
        try (var client = Http.connect(port)) {
            assertEcho(line, exchange(client, line));
        }
    }

    @Test
    @DisplayName("a last piece without LF is echoed when the client closes its side")
    void lastPiece() throws IOException {
        try (var client = Http.connect(port)) {
            client.getOutputStream().write(bytes("bye"));
            client.shutdownOutput();
            assertEcho("bye", client.getInputStream().readAllBytes());
        }
    }

    @Test
    @DisplayName("two clients one after the other each get their echo, and the log names each one's address")
    void oneAfterTheOther() throws IOException {
        for (var text : List.of("first\n", "second\n")) {
            try (var client = Http.connect(port)) {
                assertEcho(text, exchange(client, text));
                var address = "Connected by 127.0.0.1:" + client.getLocalPort();
                server.awaitLine(address::equals, Duration.ofSeconds(5));
            }
        }
    }

    @Test
    @DisplayName("a second client waits while the first is connected, and is answered once the first closes")
    void oneAtATime() throws IOException {
        try (var first = Http.connect(port); var second = Http.connect(port)) {  // both connect: the OS queues the second
            assertEcho("first\n", exchange(first, "first\n"));
            second.getOutputStream().write(bytes("second\n"));
            second.setSoTimeout(700);
            assertThrows(SocketTimeoutException.class, () -> readLine(second.getInputStream()),
                    "the second client was answered while the first was still connected");
            first.close();
            second.setSoTimeout(5_000);
            assertEcho("second\n", readLine(second.getInputStream()));
        }
    }

    @Test
    @DisplayName("a client that closes or resets in the middle of a line does not stop the server")
    void brokenClients() throws Exception {
        int resetPort;
        try (var resetting = Http.connect(port)) {
            assertEcho("hi\n", exchange(resetting, "hi\n"));  // now the server is reading from this one
            resetting.getOutputStream().write(bytes("half a li"));
            resetting.setSoLinger(true, 0);  // close() now sends RST, not FIN: "Connection reset" on the server
            resetPort = resetting.getLocalPort();
        }
        try (var leaving = Http.connect(port)) {
            leaving.getOutputStream().write(bytes("half a li"));
        }
        try (var client = Http.connect(port)) {
            assertEcho("still there?\n", exchange(client, "still there?\n"));
        }
        server.awaitStderr("Connection from 127.0.0.1:" + resetPort + " failed", Duration.ofSeconds(5));
    }

    @Test
    @DisplayName("Client.java sends each line of its input and prints each echo")
    void clientProgram() throws IOException {
        try (var client = Step.launch(STEP, "Client.java").args("127.0.0.1", String.valueOf(port))
                .stdin("hello\n你好\nno LF at the end").start()) {
            assertEquals(0, client.awaitExit(EXIT_TIMEOUT), client.output());
            var lines = client.stdoutLines();
            assertEquals(3, lines.size(), client.output());
            var texts = List.of("hello", "你好", "no LF at the end");
            for (int i = 0; i < texts.size(); i++) assertEcho(texts.get(i), bytes(lines.get(i)));
        }
    }

    @Test
    @DisplayName("Client.java with nothing listening says so and exits 1")
    void clientRefused() throws IOException {
        int closed;
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        try (var client = Step.launch(STEP, "Client.java").args("127.0.0.1", String.valueOf(closed)).stdin("hello\n").start()) {
            assertEquals(1, client.awaitExit(EXIT_TIMEOUT), client.output());
            assertTrue(client.stderr().startsWith("Error: cannot connect to 127.0.0.1:" + closed + ": Connection refused"), client.output());
        }
    }

    @ParameterizedTest(name = "{0} --help")
    @ValueSource(strings = {"Server.java", "Client.java"})
    @DisplayName("--help prints the usage on stdout and exits 0")
    void help(String program) throws IOException {
        assertHelp(STEP, program);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Server.java abc", "Server.java 70000", "Server.java +80", "Server.java -x",
            "Client.java 127.0.0.1 0", "Client.java 8000"})
    @DisplayName("a bad argument gets one Error line and the usage on stderr, exit 2")
    void badArgument(String command) throws IOException {
        assertUsageError(STEP, command);
    }

    @Test
    @DisplayName("a port in use gets 'Error: cannot listen on port N: Address already in use', exit 1")
    void portInUse() throws IOException {
        try (var taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertPortInUse(STEP, taken.getLocalPort());
        }
    }

    @Test
    @DisplayName("the server runs as the lesson says: ./jbang step01-tcp-echo/Server.java")
    void viaJbang() throws IOException {
        try (var jbanged = Step.launch(STEP, "Server.java").args("0").viaJbang().start();
             var client = Http.connect(jbanged.port())) {
            assertEcho("hello\n", exchange(client, "hello\n"));
        }
    }

    // Helpers, shared with Step02Test.

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** An echo is the prefix, then exactly the bytes that were sent. */
    static void assertEcho(byte[] sent, byte[] echo) {
        assertTrue(echo.length >= PREFIX_BYTES, () -> "too short for an echo: " + new String(echo, StandardCharsets.UTF_8));
        var prefix = new String(echo, 0, PREFIX_BYTES, StandardCharsets.ISO_8859_1);
        assertTrue(PREFIX.matcher(prefix).matches(), () -> "no [ctime] prefix: " + new String(echo, StandardCharsets.UTF_8));
        assertArrayEquals(sent, Arrays.copyOfRange(echo, PREFIX_BYTES, echo.length),
                () -> "echo differs from what was sent: " + new String(echo, StandardCharsets.UTF_8));
    }

    static void assertEcho(String sent, byte[] echo) {
        assertEcho(bytes(sent), echo);
    }

    // Talking to the TCP server.

    static byte[] exchange(Socket client, String text) throws IOException {
        return exchange(client, bytes(text));
    }

    static byte[] exchange(Socket client, byte[] line) throws IOException {
        client.getOutputStream().write(line);
        client.getOutputStream().flush();
        return readLine(client.getInputStream());
    }

    /** One echo: bytes up to and including LF. Not buffered, so that nothing of the next echo is read ahead. */
    static byte[] readLine(InputStream in) throws IOException {
        var line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b == -1) throw new EOFException("the server closed the connection after " + line.size() + " bytes: " + line);
            line.write(b);
        }
        line.write('\n');
        return line.toByteArray();
    }
}
