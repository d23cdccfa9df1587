# Installation and the Debian package (issue #8):
#
#   cmake --build build -t leasewired leasewirectl lw-loadgen man-pages
#   cd build && cpack -G DEB          # -> leasewire_<version>_<arch>.deb
#
# Paths are Debian's: binaries in /usr/bin, the unit in /lib/systemd/system,
# the configuration (a conffile) in /etc/leasewire, documentation and
# examples in /usr/share/doc/leasewire, host-prep.sh and the Grafana
# dashboard in /usr/share/leasewire. Maintainer scripts: deploy/debian/.

set(LEASEWIRE_DEPLOY ${PROJECT_SOURCE_DIR}/deploy)

# leasewire-kea-migrate: operators moving from Kea run it on the new host.
install(TARGETS leasewired leasewirectl leasewire-kea-migrate
        RUNTIME DESTINATION bin)
if(TARGET lw-loadgen)
  install(TARGETS lw-loadgen RUNTIME DESTINATION bin)
endif()

install(FILES ${LEASEWIRE_DEPLOY}/systemd/leasewired.service
        DESTINATION /lib/systemd/system)
install(FILES ${LEASEWIRE_DEPLOY}/leasewired.json
        DESTINATION /etc/leasewire)

# Man pages, gzipped as Debian ships them (-n: no timestamp in the file).
set(LEASEWIRE_MAN_PAGES leasewired.8 leasewirectl.8)
set(man_outputs "")
foreach(page ${LEASEWIRE_MAN_PAGES})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/man/${page}.gz)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/man
    COMMAND gzip -9 -n -c ${PROJECT_SOURCE_DIR}/docs/man/${page} > ${out}
    DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/${page}
    COMMENT "gzip man page ${page}"
    VERBATIM)
  list(APPEND man_outputs ${out})
endforeach()
add_custom_target(man-pages ALL DEPENDS ${man_outputs})
install(FILES ${man_outputs} DESTINATION share/man/man8)

set(doc_dir share/doc/leasewire)
install(FILES ${PROJECT_SOURCE_DIR}/README.md
              ${PROJECT_SOURCE_DIR}/docs/operations.md
              ${PROJECT_SOURCE_DIR}/docs/configuration.md
              ${PROJECT_SOURCE_DIR}/docs/architecture.md
              ${PROJECT_SOURCE_DIR}/docs/migrating-from-kea.md
        DESTINATION ${doc_dir})
file(GLOB example_configs ${LEASEWIRE_DEPLOY}/examples/*.json)
install(FILES ${example_configs}
              ${LEASEWIRE_DEPLOY}/systemd/leasewired-vfio.conf
        DESTINATION ${doc_dir}/examples)
install(PROGRAMS ${LEASEWIRE_DEPLOY}/host-prep.sh
        DESTINATION share/leasewire)
install(FILES ${LEASEWIRE_DEPLOY}/grafana/leasewire-dashboard.json
        DESTINATION share/leasewire/grafana)

# --- CPack: one binary package, "leasewire" -------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME leasewire)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "leasewire")
set(CPACK_PACKAGE_CONTACT "leasewire maintainers <leasewire@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "DHCPv4 server for ISPs on DPDK")
set(CPACK_PACKAGE_DESCRIPTION
    "leasewired answers DHCPv4 for directly attached and relayed clients
(giaddr, option 82) on DPDK poll-mode workers, one owner per subnet, and
sends an ACK only after its lease is committed to RocksDB. leasewirectl
is its control CLI; lw-loadgen a DHCP load generator on DPDK.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies from dpkg-shlibdeps (dpkg-dev); adduser for postinst.
# DPDK loads its drivers as plugins (/usr/lib/<arch>/dpdk/pmds-<abi>),
# which shlibdeps cannot see: the mbuf pools need the ring mempool driver,
# the lab the af_packet PMD. Their package names carry DPDK's ABI version.
file(GLOB eal_sonames "${DPDK_LIBDIR}/librte_eal.so.[0-9]*")
list(GET eal_sonames 0 eal_soname)
string(REGEX REPLACE ".*\\.so\\.([0-9]+).*" "\\1" dpdk_abi "${eal_soname}")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "adduser, librte-mempool-ring${dpdk_abi}, librte-net-af-packet${dpdk_abi}")
# dpdk: dpdk-devbind.py and dpdk.service for host-prep.sh; the NIC PMDs
# (librte-meta-net) and af_xdp for production.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
    "dpdk, librte-meta-net, librte-net-af-xdp${dpdk_abi}")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "prometheus, isc-dhcp-client")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${LEASEWIRE_DEPLOY}/debian/postinst
    ${LEASEWIRE_DEPLOY}/debian/prerm
    ${LEASEWIRE_DEPLOY}/debian/postrm
    ${LEASEWIRE_DEPLOY}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
