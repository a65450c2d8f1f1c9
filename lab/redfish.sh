# Redfish client helpers for the lab (sourced): curl from inside the server namespace to mb-redfish.
#   lab_rf METHOD PATH [JSON]        prints the body; sets LAB_RF_STATUS (HTTP status)
#   lab_rf_get_field PATH FIELD      one JSON field (dotted path, e.g. Boot.BootSourceOverrideTarget)
#   lab_rf_reset SYSTEM TYPE         POST ComputerSystem.Reset {ResetType}
#   lab_rf_wait_power SYSTEM STATE S wait until PowerState == STATE

lab_rf_url() { echo "https://$MB_LAB_SRV_IP:$MB_LAB_REDFISH_PORT$1"; }

lab_rf() {
    local method=$1 path=$2 body=${3:-} out hdr etag=()
    out=$(mktemp); hdr=$(mktemp)
    if [ "$method" = PATCH ]; then
        # Redfish services may require If-Match: send the resource's current ETag
        local e
        e=$(ip netns exec "$LAB_NS-srv" curl -sk -D - -o /dev/null -u "$MB_LAB_REDFISH_USER:$MB_LAB_REDFISH_PASSWORD" "$(lab_rf_url "$path")" |
            sed -n 's/^[Ee][Tt][Aa][Gg]: *\(.*\)\r$/\1/p')
        [ -n "$e" ] && etag=(-H "If-Match: $e")
    fi
    LAB_RF_STATUS=$(ip netns exec "$LAB_NS-srv" curl -sk -o "$out" -D "$hdr" -w '%{http_code}' -m 30 \
        -u "$MB_LAB_REDFISH_USER:$MB_LAB_REDFISH_PASSWORD" -X "$method" "${etag[@]}" \
        ${body:+-H 'Content-Type: application/json' -d "$body"} "$(lab_rf_url "$path")")
    cat "$out"; rm -f "$out" "$hdr"
}

lab_rf_get_field() {
    lab_rf GET "$1" | /usr/bin/python3 -c 'import json,sys
d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d.get(k, "") if isinstance(d, dict) else ""
print(d)' "$2" 2>/dev/null
}

lab_rf_reset() {
    lab_rf POST "/redfish/v1/Systems/$1/Actions/ComputerSystem.Reset" "{\"ResetType\": \"$2\"}" >/dev/null
    [[ $LAB_RF_STATUS == 20? ]]
}

lab_rf_wait_power() {
    local sys=$1 want=$2 timeout=${3:-30} t0 st
    t0=$(date +%s)
    while true; do
        st=$(lab_rf_get_field "/redfish/v1/Systems/$sys" PowerState)
        [ "$st" = "$want" ] && return 0
        [ $(( $(date +%s) - t0 )) -ge "$timeout" ] && { LAB_RF_LAST_POWER=$st; return 1; }
        sleep 0.5
    done
}
