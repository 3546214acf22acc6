export * from "./target";
export * from "./render";
export { buildImage, imageReference } from "./image";
