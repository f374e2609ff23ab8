/**
 * What the lab needs from the machine, and sentences naming what is missing: the programs it
 * runs (util-linux's unshare, nsenter and setpriv; iproute2's ip; socat), /dev/net/tun, and
 * without root the kernel's permission to create user namespaces.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Programs the lab runs, with the Debian package each comes from. */
export const LAB_PROGRAMS: Readonly<Record<string, string>> = {
  unshare: 'util-linux',
  nsenter: 'util-linux',
  setpriv: 'util-linux',
  ip: 'iproute2',
  socat: 'socat',
};

/** The TUN clone device the bridges open. */
export const TUN_DEVICE = '/dev/net/tun';

/** Whether `name` is an executable file in one of PATH's directories. */
export function onPath(name: string, path = process.env.PATH ?? ''): boolean {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      /* not here */
    }
  }
  return false;
}

/** Programs or devices missing before anything is started (an empty list when all are there). */
export function missingBasics(rootless: boolean): string[] {
  const missing: string[] = [];
  for (const [name, pkg] of Object.entries(LAB_PROGRAMS)) {
    if (!onPath(name)) missing.push(`the program ${name} is not on PATH (Debian package ${pkg})`);
  }
  let mode: number | undefined;
  try {
    mode = statSync(TUN_DEVICE).mode;
  } catch {
    missing.push(`${TUN_DEVICE} does not exist (the kernel's tun module: modprobe tun, or a container started with the device)`);
  }
  if (mode !== undefined && rootless) {
    try {
      accessSync(TUN_DEVICE, constants.R_OK | constants.W_OK);
    } catch {
      missing.push(
        `${TUN_DEVICE} is not readable and writable by this user (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); without root the lab needs it world-accessible (mode 0666, as most distributions ship it)`,
      );
    }
  }
  return missing;
}

function sysctl(name: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Why an unprivileged user namespace could not be made, from the sysctls that forbid it; empty
 * when none does (the failure is then told by unshare's own message).
 */
export function userNamespaceBlockers(): string[] {
  const out: string[] = [];
  const max = sysctl('user.max_user_namespaces');
  if (max === '0') out.push('sysctl user.max_user_namespaces is 0 (user namespaces are disabled; set it above 0)');
  const clone = sysctl('kernel.unprivileged_userns_clone');
  if (clone === '0') out.push('sysctl kernel.unprivileged_userns_clone is 0 (unprivileged user namespaces are off; set it to 1)');
  const apparmor = sysctl('kernel.apparmor_restrict_unprivileged_userns');
  if (apparmor === '1')
    out.push('sysctl kernel.apparmor_restrict_unprivileged_userns is 1 (AppArmor forbids unprivileged user namespaces; set it to 0)');
  return out;
}
