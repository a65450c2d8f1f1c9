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
