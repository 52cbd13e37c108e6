# frozen_string_literal: true

# Builds the native extension dripdrop/dripdrop_native with cargo.
#
# mkmf writes the standard Makefile header (install paths, DESTDIR, MAKEDIRS); the rules
# below run cargo instead of a C compiler. This does the job of the rb_sys gem's
# create_rust_makefile without it, so installing the gem needs nothing from rubygems.org.
#
# RubyGems runs `ruby extconf.rb`, then `make clean`, `make`, `make install`, with sitearchdir
# pointed (through a siteconf file) at a scratch dir whose contents it copies into the gem's
# lib/ and its extension dir: installing to $(sitearchdir)/dripdrop makes the final file
# <gem>/lib/dripdrop/dripdrop_native.so, found by `require "dripdrop/dripdrop_native"`.
#
# Environment: CARGO (the cargo to run), CARGO_TARGET_DIR (share build artifacts between
# installs; default: target/ beside this file). To share one, also fix SOURCE_DATE_EPOCH:
# RubyGems sets it to the current time when it is unset, and build scripts that read it
# rebuild whenever it changes. `make CARGO_PROFILE=dev` builds unoptimized. libzmq is the
# system's (libzmq3-dev, with CURVE): .cargo/config.toml, beside this file, says so to cargo.

require "mkmf"

ext_dir = File.expand_path(__dir__)

# cargo is usually not on the PATH RubyGems runs with (rustup puts it in ~/.cargo/bin).
cargo_home = ENV["CARGO_HOME"] || (File.join(Dir.home, ".cargo") rescue nil)
search_path = [ENV["PATH"], cargo_home && File.join(cargo_home, "bin")]
              .compact.join(File::PATH_SEPARATOR)
cargo = ENV["CARGO"].to_s.empty? ? find_executable("cargo", search_path) : ENV["CARGO"]
unless cargo
  abort <<~MSG
    dripdrop: cargo not found (looked in PATH and #{cargo_home || "~/.cargo"}/bin).
    The gem's native extension is written in Rust: install a Rust toolchain (1.88 or newer,
    https://rustup.rs) or set CARGO to the cargo executable, then install the gem again.
  MSG
end

# cargo names a cdylib lib<name>.so on Linux, lib<name>.dylib on macOS; Ruby wants DLEXT.
built = "libdripdrop_native.#{RbConfig::CONFIG["SOEXT"]}"
dlext = RbConfig::CONFIG["DLEXT"]

File.write("Makefile", <<~MAKEFILE)
  #{configuration(ext_dir).join}
  CARGO = #{cargo}
  # The environment's CARGO_TARGET_DIR, when set, wins over this default.
  OWN_TARGET_DIR = #{File.join(ext_dir, "target")}
  CARGO_TARGET_DIR ?= $(OWN_TARGET_DIR)
  CARGO_PROFILE = release
  MANIFEST = #{File.join(ext_dir, "Cargo.toml")}
  # cargo's output directory is "debug" for the dev profile, the profile's name otherwise.
  OUT_DIR = $(CARGO_TARGET_DIR)/$(if $(filter dev,$(CARGO_PROFILE)),debug,$(CARGO_PROFILE))
  DLLIB = dripdrop_native.#{dlext}
  RUBYARCHDIR = $(sitearchdir)/dripdrop

  all: $(DLLIB)

  # Always ask cargo: it knows whether anything changed. RUBY makes rb-sys read the headers
  # and config of the Ruby that is installing the gem, not whichever ruby is first on PATH
  # (not mkmf's $(RUBY): that one moves with DESTDIR).
  $(DLLIB): FORCE
  \tRUBY="#{RbConfig.ruby}" "$(CARGO)" build --locked --profile "$(CARGO_PROFILE)" \\
  \t  --manifest-path "$(MANIFEST)" --target-dir "$(CARGO_TARGET_DIR)"
  \tcp "$(OUT_DIR)/#{built}" $@

  # The default target dir would leave some 300 MB of build artifacts in the installed gem.
  install: $(DLLIB)
  \t$(MAKEDIRS) "$(RUBYARCHDIR)"
  \t$(INSTALL_PROG) $(DLLIB) "$(RUBYARCHDIR)"
  \t$(if $(filter $(OWN_TARGET_DIR),$(CARGO_TARGET_DIR)),rm -rf "$(OWN_TARGET_DIR)")

  # Leaves cargo's target dir alone: RubyGems runs `make clean` before every build, and a warm
  # target dir turns a reinstall from minutes into seconds.
  clean:
  \trm -f $(DLLIB)

  distclean: clean
  \trm -f Makefile mkmf.log

  FORCE:
  .PHONY: all install clean distclean FORCE
MAKEFILE
