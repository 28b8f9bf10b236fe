# SPDX-License-Identifier: MIT
# package.cmake — what `cmake --install` puts beside the binaries (the
# systemd unit, the service's config, the docs and examples; the man pages
# are contrib/man/CMakeLists.txt's) and the Debian package that
# `cpack -G DEB`, run in the build folder, makes of it (README.md
# "Installing the Debian package"). Included from CMakeLists.txt.
#
# The package: /usr/bin/{runwarden,runwarden-report,rw-demo-runner},
# /usr/lib/systemd/system/runwarden.service, the man pages,
# /etc/runwarden/{runwarden.json,policy.json} (conffiles),
# /usr/share/doc/runwarden/{copyright,changelog.Debian.gz,changelog.gz,
# README.md.gz,examples/}; maintainer scripts contrib/debian/{postinst,
# prerm,postrm} (the runwarden system user, the state directory, an admin
# token, the unit as dh_installsystemd handles it); dependencies from
# dpkg-shlibdeps (CPACK_DEBIAN_PACKAGE_SHLIBDEPS) plus adduser.
# tests/contrib/test_deb.sh builds, lints, installs and removes it.

set(RW_DEB_RELEASE 1 CACHE STRING "Debian revision of the package (VERSION-RELEASE)")
set(_deb ${PROJECT_SOURCE_DIR}/contrib/debian)

# The changelogs, gzipped -9n as Debian wants (no timestamp in the header).
set(_docs ${PROJECT_BINARY_DIR}/doc)
file(MAKE_DIRECTORY ${_docs})
add_custom_command(
  OUTPUT ${_docs}/changelog.Debian.gz ${_docs}/changelog.gz ${_docs}/README.md.gz
  COMMAND sh -c "gzip -9n -c \"$1\" >\"$4/changelog.Debian.gz\" && gzip -9n -c \"$2\" >\"$4/changelog.gz\" && gzip -9n -c \"$3\" >\"$4/README.md.gz\""
          sh ${_deb}/changelog ${PROJECT_SOURCE_DIR}/CHANGELOG.md ${PROJECT_SOURCE_DIR}/README.md ${_docs}
  DEPENDS ${_deb}/changelog ${PROJECT_SOURCE_DIR}/CHANGELOG.md ${PROJECT_SOURCE_DIR}/README.md
  VERBATIM)
add_custom_target(docs ALL DEPENDS ${_docs}/changelog.Debian.gz ${_docs}/changelog.gz ${_docs}/README.md.gz)

# The top entry of contrib/debian/changelog names the package's version.
file(STRINGS ${_deb}/changelog _top LIMIT_COUNT 1)
if(NOT _top MATCHES "^runwarden \\(${PROJECT_VERSION}-${RW_DEB_RELEASE}\\) ")
  message(WARNING "contrib/debian/changelog starts with \"${_top}\", not version "
                  "${PROJECT_VERSION}-${RW_DEB_RELEASE}: add an entry before packaging")
endif()

install(FILES ${_deb}/copyright ${_docs}/changelog.Debian.gz ${_docs}/changelog.gz
              ${_docs}/README.md.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${_deb}/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
        RENAME runwarden)
install(FILES ${PROJECT_SOURCE_DIR}/contrib/examples/runwarden.json
              ${PROJECT_SOURCE_DIR}/contrib/examples/policy.json
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(CODE "set(RW_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")\nset(RW_BINARY_DIR \"${PROJECT_BINARY_DIR}\")")
install(SCRIPT ${_deb}/install-service.cmake)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME runwarden)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "runwarden maintainers <runwarden@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "availability monitor and job router for CI runners")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "runwarden watches the CI runners that third parties run on their own
hardware (HTTP health checks, push heartbeats, GitHub self-hosted runner
pools), measures their availability exactly against an uptime policy, and
tells CI scheduling which runners may take jobs. It is one daemon with an
HTTP API, Prometheus metrics and a status page, keeping its history in
SQLite, and writes monthly compliance reports.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# DESTDIR staging with the prefix /usr, so that what install-service.cmake
# writes (ExecStart=/usr/bin/runwarden, /etc/runwarden) is the installed path.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${RW_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# procps: /bin/kill, which the unit's ExecReload runs.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, procps")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "sqlite3, curl")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_deb}/postinst ${_deb}/prerm ${_deb}/postrm ${_deb}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
