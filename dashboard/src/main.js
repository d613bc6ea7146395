import { createApp } from 'vue'
import {
  ElAlert, ElButton, ElCard, ElConfigProvider, ElForm, ElFormItem, ElInput, ElResult, ElTable,
  ElTableColumn, ElTag,
} from 'element-plus'
// only the styles of the components used (the whole theme is twice the bytes)
import 'element-plus/theme-chalk/base.css'
import 'element-plus/theme-chalk/el-alert.css'
import 'element-plus/theme-chalk/el-button.css'
import 'element-plus/theme-chalk/el-card.css'
import 'element-plus/theme-chalk/el-checkbox.css'
import 'element-plus/theme-chalk/el-form.css'
import 'element-plus/theme-chalk/el-form-item.css'
import 'element-plus/theme-chalk/el-input.css'
import 'element-plus/theme-chalk/el-popper.css'
import 'element-plus/theme-chalk/el-result.css'
import 'element-plus/theme-chalk/el-scrollbar.css'
import 'element-plus/theme-chalk/el-table.css'
import 'element-plus/theme-chalk/el-table-column.css'
import 'element-plus/theme-chalk/el-tag.css'
import App from './App.vue'
import { router } from './router.js'
import './style.css'

const app = createApp(App)
for (const part of [ElAlert, ElButton, ElCard, ElConfigProvider, ElForm, ElFormItem, ElInput,
  ElResult, ElTable, ElTableColumn, ElTag]) {
  app.use(part)
}
app.use(router).mount('#app')
