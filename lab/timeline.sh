# The boot walk of one VM, from its tap capture and serial log (sourced): one short line per step,
# DHCP → TFTP → iPXE DHCP → HTTP script → kernel/initrd → marker, times relative to power-on.
# usage: lab_timeline PCAP SERIAL T0_EPOCH MAC [MARKER_SECS]
lab_timeline() {
    local pcap=$1 serial=$2 t0=$3 mac=$4 msecs=${5:-}
    # the bridge floods other VMs' broadcasts onto every tap: keep this VM's own exchanges
    tshark -r "$(lab_pcap_signal "$pcap")" -Y "(dhcp.option.dhcp == 5 && dhcp.hw.mac_addr == $mac) || (eth.src == $mac && (tftp.opcode == 1 || http.request))" \
        -T fields -E separator='|' -E occurrence=f \
        -e frame.time_epoch -e dhcp.option.dhcp -e dhcp.ip.your -e dhcp.file -e dhcp.option.bootfile_name \
        -e tftp.source_file -e tftp.option.name -e http.request.method -e http.request.uri \
        2>/dev/null |
    awk -F'|' -v t0="$t0" '
        function at(t) { return sprintf("  +%5.1fs", t - t0) }
        $2 == 5 { f = ($5 != "" ? $5 : $4); who = (f ~ /^https?:/ ? "iPXE    " : "firmware");
                  printf "%s DHCP   %s leased %s, boot file %s\n", at($1), who, $3, (f == "" ? "(none)" : f); next }
        $6 != "" { if ($7 ~ /tsize/ && !probe[$6]++) next;   # EDK2 size probe before the download
                   printf "%s TFTP   RRQ %s\n", at($1), $6; next }
        $8 != "" { printf "%s HTTP   %s %s\n", at($1), $8, $9; next }
    '
    local m
    m=$(grep -a -m1 'MB-LAB-MARKER payload up' "$serial" | tr -d '\r')
    if [ -n "$m" ]; then
        if [ -n "$msecs" ]; then printf '  +%5.1fs serial %s\n' "$msecs" "${m:0:100}"; else printf '          serial %s\n' "${m:0:100}"; fi
    fi
}
