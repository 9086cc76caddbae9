#!/bin/sh
# Install what clustersim needs to build, test and plot. As root on
# Debian/Ubuntu it installs the packages; otherwise it prints the command.
set -u
# lua5.4 (the interpreter) and jq are for the tests only: the pattern
# functions are checked against stock Lua, and the docs' jq recipes run.
# GNU parallel runs explore shards in tests/explore_shards.t.
DEB="gcc make pkg-config liblua5.4-dev libcjson-dev libxxhash-dev gnuplot-nox lua5.4 jq parallel"
missing=""
command -v cc >/dev/null 2>&1 || missing="$missing gcc"
command -v make >/dev/null 2>&1 || missing="$missing make"
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
command -v prove >/dev/null 2>&1 || missing="$missing perl"
pkg-config --exists lua5.4 2>/dev/null || missing="$missing liblua5.4-dev"
pkg-config --exists libcjson 2>/dev/null || missing="$missing libcjson-dev"
pkg-config --exists libxxhash 2>/dev/null || missing="$missing libxxhash-dev"
command -v gnuplot >/dev/null 2>&1 || missing="$missing gnuplot-nox"
command -v lua5.4 >/dev/null 2>&1 || missing="$missing lua5.4"
command -v jq >/dev/null 2>&1 || missing="$missing jq"
command -v parallel >/dev/null 2>&1 || missing="$missing parallel"
if [ -z "$missing" ]; then
    echo "deps: everything clustersim needs is installed"
    exit 0
fi
echo "deps: missing:$missing"
if [ -f /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq $DEB perl >/dev/null && echo "deps: installed$missing" && exit 0
        echo "deps: apt-get failed" >&2
        exit 1
    fi
    echo "deps: run as root:  sudo apt-get install -y $DEB"
    exit 1
fi
echo "deps: install the equivalents of: $DEB"
echo "  Fedora:  sudo dnf install gcc make pkgconf-pkg-config lua-devel cjson-devel gnuplot perl-Test-Harness lua jq"
echo "  macOS:   brew install lua cjson gnuplot pkg-config jq   (then make PKG_CONFIG='pkg-config' with lua5.4.pc)"
exit 1
