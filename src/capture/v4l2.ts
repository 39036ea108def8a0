/**
 * `v4l2` backend (USB UVC cameras that deliver MJPEG): runs
 * `ffmpeg -hide_banner -nostdin -loglevel warning [extraArgs…] -f v4l2
 * -input_format mjpeg -video_size WxH -framerate F -i /dev/videoN -c:v copy
 * -bsf:v mjpeg2jpeg -f mjpeg pipe:1` without a shell: the camera's own JPEGs
 * are copied (no re-encode; mjpeg2jpeg adds the Huffman tables UVC frames
 * omit) and split by the same splitter and restart logic as rpicam.
 */
import type { ChildCameraDeps, ChildCommand } from './child-camera.js';
import { ChildProcessCamera, childOptions } from './child-camera.js';
import type { ResolvedCameraConfig } from './config.js';

/** Debian package that ships ffmpeg. */
export const FFMPEG_PACKAGE = 'ffmpeg';

/** The ffmpeg argument vector for a config (pure). extraArgs go before the input options. */
export function v4l2Args(cfg: Pick<ResolvedCameraConfig, 'width' | 'height' | 'framerate' | 'device' | 'extraArgs'>): string[] {
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'warning',
    ...cfg.extraArgs,
    '-f', 'v4l2',
    '-input_format', 'mjpeg',
    '-video_size', `${cfg.width}x${cfg.height}`,
    '-framerate', String(cfg.framerate),
    '-i', cfg.device,
    '-c:v', 'copy',
    '-bsf:v', 'mjpeg2jpeg',
    '-f', 'mjpeg',
    'pipe:1',
  ];
}

/** The command spec for the shared child-process camera. */
export function v4l2Command(cfg: ResolvedCameraConfig): ChildCommand {
  return { kind: 'v4l2', binary: cfg.binary, args: v4l2Args(cfg), debianPackage: FFMPEG_PACKAGE };
}

/**
 * Creates (does not start) a v4l2 Camera. start() throws CAMERA_BINARY_MISSING
 * naming `ffmpeg` if the binary is not found.
 */
export function createV4l2Camera(cfg: ResolvedCameraConfig, deps: ChildCameraDeps): ChildProcessCamera {
  return new ChildProcessCamera(v4l2Command(cfg), childOptions(cfg), deps);
}
