import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLONE_NAMESPACE_FLAGS, DEFAULT_SECCOMP_PROFILE, nativeArch, parseSeccompProfile, seccompToOci, type OciSeccomp } from './seccomp-profile.js';
import { DEFAULT_CAPABILITIES } from './oci-spec.js';

const allowed = (p: OciSeccomp | undefined): Set<string> =>
  new Set((p?.syscalls ?? []).filter((s) => s.action === 'SCMP_ACT_ALLOW' && !s.args).flatMap((s) => s.names));
const rulesFor = (p: OciSeccomp | undefined, name: string): NonNullable<OciSeccomp['syscalls']> => (p?.syscalls ?? []).filter((s) => s.names.includes(name));

describe('the default seccomp profile', () => {
  const amd64 = seccompToOci(DEFAULT_SECCOMP_PROFILE, { capabilities: DEFAULT_CAPABILITIES, arch: 'amd64', kernel: '6.1.0-18-amd64' });

  it('denies by default with EPERM, for x86_64 and its 32-bit tables', () => {
    assert.equal(amd64?.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(amd64?.defaultErrnoRet, 1);
    assert.deepEqual(amd64?.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    const arm = seccompToOci(DEFAULT_SECCOMP_PROFILE, { capabilities: DEFAULT_CAPABILITIES, arch: 'arm64', kernel: '6.1' });
    assert.deepEqual(arm?.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  });

  it('allows the ordinary syscalls and the architecture’s own', () => {
    const ok = allowed(amd64);
    for (const s of ['read', 'write', 'openat', 'execve', 'futex', 'arch_prctl', 'modify_ldt', 'ptrace', 'chroot']) assert.ok(ok.has(s), s);
    const arm = allowed(seccompToOci(DEFAULT_SECCOMP_PROFILE, { capabilities: DEFAULT_CAPABILITIES, arch: 'arm64', kernel: '6.1' }));
    assert.ok(arm.has('set_tls') && !arm.has('arch_prctl'));
  });

  it('guards privileged syscalls by capability', () => {
    const ok = allowed(amd64);
    for (const s of ['mount', 'umount2', 'unshare', 'setns', 'reboot', 'init_module', 'bpf', 'perf_event_open', 'settimeofday', 'kcmp', 'open_by_handle_at', 'syslog']) {
      assert.ok(!ok.has(s), `${s} needs a capability`);
    }
    const admin = allowed(seccompToOci(DEFAULT_SECCOMP_PROFILE, { capabilities: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN', 'CAP_SYS_PTRACE', 'CAP_SYS_TIME'], arch: 'amd64', kernel: '6.1' }));
    for (const s of ['mount', 'unshare', 'setns', 'clone', 'clone3', 'kcmp', 'settimeofday']) assert.ok(admin.has(s), s);
  });

  it('without CAP_SYS_ADMIN, clone may not make namespaces and clone3 says ENOSYS', () => {
    const clone = rulesFor(amd64, 'clone');
    assert.deepEqual(clone, [{ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] }]);
    assert.equal(CLONE_NAMESPACE_FLAGS, 0x7e020000);
    assert.deepEqual(rulesFor(amd64, 'clone3'), [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
    const s390 = rulesFor(seccompToOci(DEFAULT_SECCOMP_PROFILE, { capabilities: DEFAULT_CAPABILITIES, arch: 's390x', kernel: '6.1' }), 'clone');
    assert.equal(s390[0]?.args?.[0]?.index, 1, 's390 passes the flags second');
    const admin = seccompToOci(DEFAULT_SECCOMP_PROFILE, { capabilities: ['CAP_SYS_ADMIN'], arch: 'amd64', kernel: '6.1' });
    assert.ok(rulesFor(admin, 'clone').every((r) => !r.args));
    assert.ok(rulesFor(admin, 'clone3').every((r) => r.action === 'SCMP_ACT_ALLOW'));
  });

  it('allows ptrace only from kernel 4.8 without CAP_SYS_PTRACE', () => {
    assert.ok(!allowed(seccompToOci(DEFAULT_SECCOMP_PROFILE, { capabilities: DEFAULT_CAPABILITIES, arch: 'amd64', kernel: '4.4.0-generic' })).has('ptrace'));
    assert.ok(allowed(seccompToOci(DEFAULT_SECCOMP_PROFILE, { capabilities: DEFAULT_CAPABILITIES, arch: 'amd64', kernel: '4.8.0' })).has('ptrace'));
  });

  it('refuses AF_VSOCK sockets and odd personalities by argument', () => {
    assert.deepEqual(rulesFor(amd64, 'socket')[0]?.args, [{ index: 0, value: 40, valueTwo: 0, op: 'SCMP_CMP_NE' }]);
    assert.deepEqual(
      rulesFor(amd64, 'personality').map((r) => r.args?.[0]?.value),
      [0, 8, 0x20000, 0x20008, 0xffffffff],
    );
  });

  it('maps Node’s architecture names to libseccomp’s', () => {
    assert.equal(nativeArch('x64'), 'amd64');
    assert.equal(nativeArch('arm64'), 'arm64');
    assert.equal(nativeArch('ia32'), 'x86');
  });
});

describe('custom profiles (Docker’s format)', () => {
  it('are parsed and converted with their conditions applied', () => {
    const profile = parseSeccompProfile(
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ALLOW',
        archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
        syscalls: [
          { name: 'mkdir', action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
          { names: ['chmod'], action: 'SCMP_ACT_ERRNO', excludes: { caps: ['CAP_FOWNER'] } },
          { names: ['kill'], action: 'SCMP_ACT_LOG', includes: { arches: ['arm64'] } },
          { names: ['ioctl'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 21522, op: 'SCMP_CMP_EQ' }] },
        ],
      }),
    );
    assert.deepEqual(seccompToOci(profile, { capabilities: ['CAP_CHOWN'], arch: 'amd64', kernel: '6.1' }), {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
      syscalls: [
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['chmod'], action: 'SCMP_ACT_ERRNO' },
        { names: ['ioctl'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 21522, valueTwo: 0, op: 'SCMP_CMP_EQ' }] },
      ],
    });
  });
  it('an OCI-form profile passes through', () => {
    const oci = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] };
    assert.deepEqual(seccompToOci(parseSeccompProfile(JSON.stringify(oci)), { capabilities: [], arch: 'amd64', kernel: '6.1' }), oci);
  });
  it('an empty profile means no filter', () => {
    assert.equal(seccompToOci(parseSeccompProfile('{}'), { capabilities: [], arch: 'amd64', kernel: '6.1' }), undefined);
  });
  it('refuses what Docker refuses', () => {
    assert.throws(() => parseSeccompProfile('/etc/profile.json'), /^InvalidArgumentError: Decoding seccomp profile failed: /);
    assert.throws(() => parseSeccompProfile('[]'), /Decoding seccomp profile failed/);
    assert.throws(() => parseSeccompProfile('{"syscalls":[{"names":"read"}]}'), /cannot unmarshal string into Go struct field Syscall.names of type \[\]string/);
    assert.throws(() => parseSeccompProfile('{"syscalls":[{"names":["x"],"includes":{"minKernel":"4"}}]}'), /invalid kernel version/);
    const both = parseSeccompProfile('{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}');
    assert.throws(() => seccompToOci(both, { capabilities: [], arch: 'amd64' }), /both 'architectures' and 'archMap' are specified/);
    const names = parseSeccompProfile('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ERRNO"}]}');
    assert.throws(() => seccompToOci(names, { capabilities: [], arch: 'amd64' }), /both 'name' and 'names' are specified/);
  });
});
