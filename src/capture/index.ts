/**
 * capture/: the Camera seam, its backends (rpicam, v4l2, fake; loaded
 * lazily by createCamera), the MJPEG splitter and the capture policies.
 */
export type { Camera, Capture, CameraHealth, CameraState, CameraStats, CaptureError, CaptureErrorCode, CaptureMode, ContentType } from './camera.js';
export { captureError } from './camera.js';
export type { CameraDeps, QueueLimits } from './base-camera.js';
export { BaseCamera, DEFAULT_QUEUE_BYTES, DEFAULT_QUEUE_FRAMES } from './base-camera.js';
export { CaptureQueue } from './capture-queue.js';
export type { CameraBackend, CameraConfig, ResolvedCameraConfig } from './config.js';
export { BACKEND_DEFAULTS, CAMERA_DEFAULTS, parseCameraConfig } from './config.js';
export type { PolicyConfig, PolicyMode, ResolvedPolicyConfig } from './policy-config.js';
export { POLICY_DEFAULTS, parsePolicyConfig } from './policy-config.js';
export type { BackoffOptions } from './backoff.js';
export { DEFAULT_BACKOFF, resolveBackoff } from './backoff.js';
export type { JpegSplitErrorCode, JpegSplitterOptions, JpegSplitterStats } from './jpeg-splitter.js';
export { DEFAULT_MAX_FRAME_BYTES, JpegSplitter } from './jpeg-splitter.js';
export type { CapturePolicy, PolicyOutput, PolicyStats } from './policy.js';
export type { PolicyCameraStats } from './policy-camera.js';
export { PolicyCamera } from './policy-camera.js';
export type { CameraFactoryDeps, PolicyFactoryDeps } from './factory.js';
export { createCamera, createCaptureCamera, createCapturePolicy } from './factory.js';
export type { LumaEngine, LumaSampler } from './luma.js';
