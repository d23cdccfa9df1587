#include "leasewire/wire/verdict.h"

#include <array>

namespace leasewire::wire {
namespace {

constexpr std::array<std::string_view, kVerdictCount> kNames = {
    "ok",
    "truncated_frame",
    "too_many_vlan_tags",
    "not_ipv4",
    "bad_ip_version",
    "bad_ip_header_length",
    "bad_ip_total_length",
    "bad_ip_checksum",
    "ip_fragment",
    "not_udp",
    "bad_udp_length",
    "bad_udp_checksum",
    "not_dhcp_port",
    "truncated_bootp",
    "bad_op",
    "bad_hardware_address",
    "bad_magic_cookie",
    "option_overrun",
    "options_too_long",
    "bad_option_length",
    "bad_message_type",
    "bad_relay_agent_info",
    "boot_reply",
    "op_type_mismatch",
    "missing_message_type",
    "server_message_type",
    "unsupported_message_type",
    "unknown_message_type",
};

}  // namespace

std::string_view VerdictName(Verdict verdict) {
  const auto i = static_cast<size_t>(verdict);
  return i < kNames.size() ? kNames[i] : "unknown";
}

}  // namespace leasewire::wire
