# frozen_string_literal: true

require_relative 'lib/hckns'

Gem::Specification.new do |s|
  s.name = 'hckns'
  s.version = Hckns::VERSION
  s.summary = 'Drive hckns (a private network for VMs and test runs) from Ruby'
  s.description = <<~TEXT
    Starts a command inside hckns's private network, waits until it is ready,
    adds, lists and removes port forwards while it runs, stops it and reports
    how it ended, through hckns's --status-fd and --control-fd pipes.
    Standard library only; correct with Ruby's non-blocking pipes.
  TEXT
  s.authors = ['hckns developers']
  s.license = 'MIT'
  s.files = ['lib/hckns.rb']
  s.require_paths = ['lib']
  s.required_ruby_version = '>= 2.7'
  s.homepage = 'https://github.com/HCK-CI/hckns'
end
