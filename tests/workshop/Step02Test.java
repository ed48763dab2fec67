package workshop;

import static org.junit.jupiter.api.Assertions.*;
import static workshop.Cli.*;
import static workshop.Echo.*;

import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.*;
import org.junit.jupiter.api.*;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Tag("step02")
@DisplayName("step02 udp-echo")
class Step02Test {
    static final int MAX_DATAGRAM_BYTES = 65_507;

    @RegisterExtension
    static final StepServer server = StepServer.plain();

    @Test
    @DisplayName("a datagram comes back to its sender behind the server's time, and the log shows its address and size")
    void roundTrip() throws IOException {
        try (var client = client()) {
            send(client, server.port(), bytes("hello\n"));
            assertEcho("hello\n", reply(client));
            var logLine = "Datagram from 127.0.0.1:" + client.getLocalPort() + ", 6 bytes";
            server.step().awaitLine(logLine::equals, Duration.ofSeconds(5));
        }
    }

    @Test
    @DisplayName("a short datagram after a long one comes back alone: exactly getLength() bytes, UTF-8 untouched")
    void exactLength() throws IOException {
        try (var client = client()) {
            var longer = bytes("x".repeat(1000));
            send(client, server.port(), longer);
            assertEcho(longer, reply(client));
            send(client, server.port(), bytes("你好"));
            assertEcho("你好", reply(client));
        }
    }

    @Test
    @DisplayName("a datagram of 40,000 bytes, far over the seeds' 1024-byte buffer, comes back whole")
    void largeDatagram() throws IOException {
        var data = new byte[40_000];
        for (int i = 0; i < data.length; i++) data[i] = (byte) ('a' + i % 26);
        try (var client = client()) {
            send(client, server.port(), data);
            assertEcho(data, reply(client));
        }
    }

    @Test
    @DisplayName("the largest datagram gets an echo cut to fit one reply datagram, and the log says so")
    void truncatedEcho() throws IOException {
        var data = new byte[MAX_DATAGRAM_BYTES];
        Arrays.fill(data, (byte) 'z');
        try (var client = client()) {
            send(client, server.port(), data);
            var echo = reply(client);
            assertEquals(MAX_DATAGRAM_BYTES, echo.length);
            assertEcho(Arrays.copyOf(data, MAX_DATAGRAM_BYTES - PREFIX_BYTES), echo);
            var log = "Datagram from 127.0.0.1:" + client.getLocalPort() + ", 65507 bytes"
                    + " (echo cut to 65480 bytes to fit one datagram)";
            server.step().awaitLine(log::equals, Duration.ofSeconds(5));
        }
    }

    @Test
    @DisplayName("two clients at once each get their own reply")
    void twoClients() throws IOException {
        try (var first = client(); var second = client()) {
            send(first, server.port(), bytes("from the first\n"));
            send(second, server.port(), bytes("from the second\n"));
            assertEcho("from the second\n", reply(second));
            assertEcho("from the first\n", reply(first));
        }
    }

    @Test
    @DisplayName("Client.java sends each line of its input and prints each echo")
    void clientProgram() throws IOException {
        try (var probe = client()) {  // else the client would wait 3 times per line for a server that never answers
            send(probe, server.port(), bytes("ping\n"));
            assertEcho("ping\n", reply(probe));
        }
        assertClientEchoes(server);
    }

    @Test
    @DisplayName("Client.java sends each line 3 times to a server that never answers, reports each loss, goes on,"
            + " and exits 1")
    void clientNoReply() throws IOException {
        try (var silent = client();
             var client = server.launch("Client.java").jvm("-Dworkshop.udpTimeoutMillis=200")
                     .args("127.0.0.1", String.valueOf(silent.getLocalPort())).stdin("one\ntwo\n").start()) {
            assertEquals(1, client.awaitExit(EXIT_TIMEOUT), client.output());
            var lost = "No reply from 127.0.0.1:" + silent.getLocalPort() + " after 3 tries: lost, or no server there";
            assertEquals(List.of(lost, lost), client.stderr().lines().toList(), client.output());
            assertEquals("", client.stdout(), client.output());
            silent.setSoTimeout(500);
            var received = new ArrayList<String>();
            try {
                while (true) received.add(new String(receive(silent), StandardCharsets.UTF_8));
            } catch (SocketTimeoutException e) {
                // all there was
            }
            assertEquals(List.of("one\n", "one\n", "one\n", "two\n", "two\n", "two\n"), received);
        }
    }

    @ParameterizedTest(name = "{0} --help")
    @ValueSource(strings = {"Server.java", "Client.java"})
    @DisplayName("--help prints the usage on stdout and exits 0")
    void help(String program) throws IOException {
        assertHelp(server, program);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Server.java abc", "Server.java 70000", "Server.java +80", "Client.java 127.0.0.1 abc"})
    @DisplayName("a bad argument gets one Error line and the usage on stderr, exit 2")
    void badArgument(String command) throws IOException {
        assertUsageError(server, command);
    }

    @Test
    @DisplayName("a UDP port in use gets 'Error: cannot listen on port N: Address already in use', exit 1")
    void portInUse() throws IOException {
        try (var taken = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            assertPortInUse(server, taken.getLocalPort());
        }
    }

    @Test
    @DisplayName("the server runs as the lesson says: ./jbang step02-udp-echo/Server.java")
    void viaJbang() throws IOException {
        try (var jbanged = server.launch("Server.java").args("0").viaJbang().start(); var client = client()) {
            send(client, jbanged.port(), bytes("hello\n"));
            assertEcho("hello\n", reply(client));
        }
    }

    /** A socket of our own, on a port the OS picks: the address the server must reply to. */
    static DatagramSocket client() throws SocketException {
        var client = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        client.setSoTimeout(REPLY_TIMEOUT_MILLIS);  // on loopback no datagram is lost: a missing reply was never sent
        return client;
    }

    static void send(DatagramSocket client, int port, byte[] data) throws IOException {
        client.send(new DatagramPacket(data, data.length, InetAddress.getLoopbackAddress(), port));
    }

    /** The echo; silence says where a reply most likely went. */
    static byte[] reply(DatagramSocket client) throws IOException {
        try {
            return receive(client);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no reply within " + client.getSoTimeout() / 1000
                    + " s: did the server send its reply to the address and port the datagram came from?");
        }
    }

    static byte[] receive(DatagramSocket client) throws IOException {
        var reply = new DatagramPacket(new byte[65_535], 65_535);
        client.receive(reply);
        return Arrays.copyOf(reply.getData(), reply.getLength());
    }
}
