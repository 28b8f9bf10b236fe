# SPDX-License-Identifier: MIT
# install-service.cmake — run at install time (`cmake --install`, `cpack`),
# after RW_SOURCE_DIR and RW_BINARY_DIR are set: installs the systemd unit
# (contrib/systemd/runwarden.service) and the service's config
# (contrib/debian/runwarden.json, policy.json) with their paths made right
# for CMAKE_INSTALL_PREFIX: for /usr (the package) /usr/bin and /etc as
# written; for another prefix PREFIX/bin and PREFIX/etc. A config that is
# already there is never replaced (the package's are conffiles: dpkg asks).
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(_etc /etc)
else()
  set(_etc ${CMAKE_INSTALL_PREFIX}/etc)
endif()
# A folder per destination: `cpack` and `cmake --install` may run at once.
string(MD5 _key "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}")
set(_stage ${RW_BINARY_DIR}/service-install/${_key})
file(MAKE_DIRECTORY ${_stage})

function(_rw_install_edited src dest_dir)
  get_filename_component(_name ${src} NAME)
  file(READ ${RW_SOURCE_DIR}/${src} _text)
  string(REPLACE "/usr/bin/" "${CMAKE_INSTALL_PREFIX}/bin/" _text "${_text}")
  string(REPLACE "/etc/runwarden/" "${_etc}/runwarden/" _text "${_text}")
  file(WRITE ${_stage}/${_name} "${_text}")
  file(INSTALL ${_stage}/${_name} DESTINATION ${dest_dir}
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endfunction()

_rw_install_edited(contrib/systemd/runwarden.service ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
foreach(_conf runwarden.json policy.json)
  if(EXISTS "$ENV{DESTDIR}${_etc}/runwarden/${_conf}")
    message(STATUS "Keeping: $ENV{DESTDIR}${_etc}/runwarden/${_conf}")
  else()
    _rw_install_edited(contrib/debian/${_conf} ${_etc}/runwarden)
  endif()
endforeach()
