/**
 * `rpicam` backend (Raspberry Pi camera via libcamera): runs
 * `rpicam-vid -t 0 -n --codec mjpeg --flush -o - --width W --height H
 * --framerate F --quality Q [extraArgs…]` without a shell and splits its
 * MJPEG stdout into JPEG frames (see docs/CAMERA.md).
 */
import type { ChildCameraDeps, ChildCommand } from './child-camera.js';
import { ChildProcessCamera, childOptions } from './child-camera.js';
import type { ResolvedCameraConfig } from './config.js';

/** Debian package that ships rpicam-vid. */
export const RPICAM_PACKAGE = 'rpicam-apps';

/** The rpicam-vid argument vector for a config (pure). */
export function rpicamArgs(cfg: Pick<ResolvedCameraConfig, 'width' | 'height' | 'framerate' | 'quality' | 'extraArgs'>): string[] {
  return [
    '-t', '0',
    '-n',
    '--codec', 'mjpeg',
    '--flush',
    '-o', '-',
    '--width', String(cfg.width),
    '--height', String(cfg.height),
    '--framerate', String(cfg.framerate),
    '--quality', String(cfg.quality),
    ...cfg.extraArgs,
  ];
}

/** The command spec for the shared child-process camera. */
export function rpicamCommand(cfg: ResolvedCameraConfig): ChildCommand {
  return { kind: 'rpicam', binary: cfg.binary, args: rpicamArgs(cfg), debianPackage: RPICAM_PACKAGE };
}

/**
 * Creates (does not start) an rpicam Camera. start() throws CAMERA_BINARY_MISSING
 * naming `rpicam-apps` if the binary is not found.
 */
export function createRpicamCamera(cfg: ResolvedCameraConfig, deps: ChildCameraDeps): ChildProcessCamera {
  return new ChildProcessCamera(rpicamCommand(cfg), childOptions(cfg), deps);
}
