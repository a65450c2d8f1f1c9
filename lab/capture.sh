# Packet capture on a VM's tap (sourced). tcpdump runs in the switch namespace with --immediate-mode
# (without it the last seconds of a boot are lost when the capture stops).

# usage: lab_capture_start IFACE PCAP -> prints tcpdump's PID once it is listening
lab_capture_start() {
    local ifc=$1 pcap=$2 i
    ip netns exec "$LAB_NS-sw" tcpdump -i "$ifc" --immediate-mode -U -n -s 0 -Z root -w "$pcap" >"$pcap.log" 2>&1 &
    local pid=$!
    for i in $(seq 1 50); do grep -q listening "$pcap.log" 2>/dev/null && break; sleep 0.1; done
    echo "$pid"
}

lab_capture_stop() {
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# A text trace of the boot protocols on a tap, for waiting on protocol events while a boot runs
# (tcpdump -v line-buffered: "DHCP-Message ... Discover", "RRQ", "Your-IP", HTTP requests).
# usage: lab_trace_start IFACE FILE -> prints tcpdump's PID
lab_trace_start() {
    local ifc=$1 out=$2 i
    : > "$out"
    ip netns exec "$LAB_NS-sw" tcpdump -i "$ifc" -l -n -v -s 0 'udp port 67 or udp port 68 or udp port 69 or tcp port '"$MB_LAB_HTTP_PORT" \
        >"$out" 2>"$out.err" &
    local pid=$!
    for i in $(seq 1 50); do grep -q listening "$out.err" 2>/dev/null && break; sleep 0.1; done
    echo "$pid"
}

# The boot's signalling part of a capture, for tshark: everything but TCP, TCP handshakes and
# closes, and the TCP segments that start an HTTP request (GET/HEAD/POST/PUT) or response ("HTTP").
# The downloads' data segments and ACKs are left out: GRUB fetches kernel and initrd with 536-byte
# segments and ACKs each one (100,000 packets per boot), and every tshark pass over the whole
# capture took ~17 s; over this copy it takes well under a second. Made once per capture; prints
# its path.  usage: lab_pcap_signal PCAP
lab_pcap_signal() {
    local pcap=$1 out=${1%.pcap}.signal.pcap payload='tcp[((tcp[12:1] & 0xf0) >> 2):4]'
    if [ ! -s "$out" ] || [ "$pcap" -nt "$out" ]; then
        tcpdump -r "$pcap" -w "$out" "not tcp or tcp[tcpflags] & (tcp-syn|tcp-fin|tcp-rst) != 0 or \
$payload = 0x47455420 or $payload = 0x48454144 or $payload = 0x504f5354 or $payload = 0x50555420 or \
$payload = 0x48545450" 2>/dev/null || cp "$pcap" "$out"
    fi
    echo "$out"
}
