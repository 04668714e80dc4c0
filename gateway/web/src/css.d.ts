// esbuild bundles imported CSS into dist/assets/app.css.
declare module "*.css";
