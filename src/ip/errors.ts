// Typed errors for `ip` commands, mapped from kernel text in the context of the verb (Neutron: ip_lib exceptions, privileged.agent.linux.ip_lib).
import { TenantnetError } from '../errors.js';
import { NamespaceNotFoundError } from '../net/namespace.js';

function where(namespace: string | null): string {
  return namespace ? `namespace "${namespace}"` : 'the root namespace';
}

/**
 * An `ip` command failed. `command` is the batch line, `kernelMessage` the text `ip` printed for it
 * (for example `RTNETLINK answers: File exists`). Subclasses name the common causes.
 */
export class IpCommandError extends TenantnetError {
  /**
   * @param command the `ip -batch` line that failed
   * @param namespace where it ran (null: the root namespace)
   * @param kernelMessage what `ip` printed for it
   * @param message the one-line summary (defaults to command, place and kernel message)
   */
  constructor(
    readonly command: string,
    readonly namespace: string | null,
    readonly kernelMessage: string,
    message?: string,
  ) {
    super(message ?? `ip ${command} failed in ${where(namespace)}: ${kernelMessage}`);
  }
}

/** A device named by a command does not exist in the namespace it ran in. */
export class DeviceNotFoundError extends IpCommandError {
  /**
   * @param device the missing device (as named in the kernel message)
   * @param namespace where it was looked for
   */
  constructor(
    readonly device: string,
    namespace: string | null,
    command = '',
    kernelMessage = '',
  ) {
    super(command, namespace, kernelMessage, `device "${device}" not found in ${where(namespace)}`);
  }
}

/** The object to add (route, rule, neighbour, namespace) already exists. */
export class ObjectExistsError extends IpCommandError {}

/** The address is already on the device. */
export class AddressAlreadyExistsError extends ObjectExistsError {}

/** A link with that name already exists. */
export class LinkAlreadyExistsError extends ObjectExistsError {}

/** The object to delete (address, route, rule, neighbour) does not exist. */
export class ObjectNotFoundError extends IpCommandError {}

/** The kernel refused a value (EINVAL and friends); `kernelMessage` says which. */
export class InvalidArgumentError extends IpCommandError {}

/** The kernel does not support the operation for this device or configuration (EOPNOTSUPP). */
export class OperationNotSupportedError extends IpCommandError {}

/**
 * The typed error for what `ip` printed when a batch line failed. `verb` is the line's first two
 * words (`link add`, `addr del`, …): `File exists` means a different thing for each. Pure.
 */
export function mapIpError(
  command: string,
  namespace: string | null,
  text: string,
): IpCommandError | NamespaceNotFoundError {
  const message = text.trim().replace(/\s*\n\s*/g, ' | ') || 'failed with no message';
  const verb = command.split(' ').slice(0, 2).join(' ');
  const device = /(?:Cannot find device|Device) "([^"]*)"(?: does not exist)?/.exec(message);
  if (device && !/^(?:Error|RTNETLINK)/.test(message)) {
    return new DeviceNotFoundError(device[1]!, namespace, command, message);
  }
  // The kernel's extack says "Device not found" (e.g. `Error: ipv4: Device not found.` for an address
  // or route on a missing device): the same fact as iproute2's own wording, not an invalid argument.
  if (/No such device\b|Device not found/.test(message) && / dev ([^ ]+)/.test(command)) {
    return new DeviceNotFoundError(/ dev ([^ ]+)/.exec(command)![1]!, namespace, command, message);
  }
  if (/Cannot open network namespace "([^"]*)"|Invalid "netns" value "([^"]*)"/.test(message)) {
    const m = /namespace "([^"]*)"|value "([^"]*)"/.exec(message)!;
    return new NamespaceNotFoundError(m[1] ?? m[2]!, command, message);
  }
  if (/File exists|Address already assigned|already exists/i.test(message)) {
    if (verb === 'addr add') return new AddressAlreadyExistsError(command, namespace, message);
    if (verb === 'link add') return new LinkAlreadyExistsError(command, namespace, message);
    return new ObjectExistsError(command, namespace, message);
  }
  if (
    /No such process|No such file or directory|Address not found|Cannot assign requested address|No such device/.test(
      message,
    )
  ) {
    return new ObjectNotFoundError(command, namespace, message);
  }
  if (/Operation not supported|not supported/i.test(message)) {
    return new OperationNotSupportedError(command, namespace, message);
  }
  if (/Invalid argument|^Error: |Numerical result out of range|Network is unreachable/.test(message)) {
    return new InvalidArgumentError(command, namespace, message);
  }
  return new IpCommandError(command, namespace, message);
}

/**
 * The `ip` coprocess ended while commands were in flight (a malformed line, a kill, a crash). Those
 * commands may or may not have been applied; the next command starts a new coprocess.
 */
export class IpProcessExitedError extends TenantnetError {
  /**
   * @param namespace the coprocess's namespace (null: root)
   * @param command the line this request sent
   * @param lastOutput what the process printed last
   */
  constructor(
    readonly namespace: string | null,
    readonly command: string,
    readonly lastOutput: string,
    options?: ErrorOptions,
  ) {
    super(
      `the ip coprocess for ${where(namespace)} exited before "${command}" completed; it will be restarted${lastOutput ? `: ${lastOutput}` : ''}`,
      options,
    );
  }
}
